"""What the server's start-up (server.py) waits for before its heavier warm-up work."""

import threading

first_page_served = threading.Event()  # set by app.py once a page has been sent to a browser
