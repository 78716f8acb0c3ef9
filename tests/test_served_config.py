"""The server that the tests and benchmarks measure is the server that `./run.sh` starts.

Streamlit's development file watcher once cost the class server most of a core (it watched the
project folder, .venv included) while every test and benchmark ran with it switched off by a flag.
Here: the production settings live in .streamlit/config.toml, which every way of starting the app
reads; run.sh adds nothing but the port; and nothing in the harness, the benchmarks or the tests
starts the server another way or with other settings. tests/e2e/test_served_config.py looks at the
running server itself.
"""

from __future__ import annotations

import re
import tomllib

from nn.storage.paths import REPO_ROOT

# Command-line settings of Streamlit's (--section.option) that the harness may add to run.sh's.
HARNESS_MAY_ADD = {"--server.address", "--secrets.files"}
SETTING = re.compile(r"""["'](--(?:server|runner|client|global|browser|logger|theme|secrets|magic)\.\w+)""")


def served_config() -> dict:
    return tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())


def test_the_served_configuration_has_no_file_watcher_nor_reruns_on_save():
    server = served_config()["server"]
    assert server["fileWatcherType"] == "none"
    assert server["runOnSave"] is False
    assert server["showEmailPrompt"] is False


def test_the_served_configuration_shows_no_tracebacks():
    assert served_config()["client"]["showErrorDetails"] == "none"  # the server's paths stay in its log


def test_run_sh_starts_server_py_with_the_port_alone():
    run_sh = (REPO_ROOT / "run.sh").read_text()
    starts = [line for line in run_sh.splitlines() if "streamlit run" in line and not line.startswith("#")]
    assert len(starts) == 1
    assert starts[0].split("streamlit run", 1)[1].split() == [
        "server.py", "--server.port", '"${PORT:-8501}"', '"$@"']


def python_sources():
    for folder in ("harness", "bench", "tests", "scripts"):
        yield from (REPO_ROOT / folder).rglob("*.py")
    yield from (REPO_ROOT / "scripts").glob("*.sh")


# These two name run.sh's command in order to compare the running server's with it.
CHECKS_THE_COMMAND = {REPO_ROOT / "tests" / "test_served_config.py",
                      REPO_ROOT / "tests" / "e2e" / "test_served_config.py"}


def test_nothing_starts_the_server_another_way_or_with_other_settings():
    for path in python_sources():
        if path in CHECKS_THE_COMMAND:
            continue
        text = path.read_text()
        assert '"streamlit", "run"' not in text and "streamlit run server" not in text.replace(
            "`streamlit run server.py`", ""), f"{path} starts the server itself: use harness.server"
        extra = set(SETTING.findall(text))
        if path.name == "server.py" and path.parent.name == "harness":
            assert extra <= HARNESS_MAY_ADD, extra
        else:
            assert not extra, f"{path} sets {extra}: the served configuration is .streamlit/config.toml"
