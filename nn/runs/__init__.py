"""Runs: every training is a run kept on disk (store.py, files.py), waiting in one queue
(queue.py) for a worker process (worker.py)."""
