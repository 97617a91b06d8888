"""`python -m pipeline COMMAND`: the command, then an exit that skips the interpreter's teardown.

After a run, tearing down the interpreter (freeing the loaded models, the modules, the native
libraries' objects) took 1.4 to 2.1 s of wall time after the last exit handler (measured on the
sample), with nothing left to do: the tables are written, the files closed. So the process ends
with `os._exit` from an exit handler registered first, which runs last: after Python has waited
for the non-daemon threads and after every other handler (Prefect's, which send the last logs and
events; the temporary Prefect server's stop), with stdout, stderr and logging flushed, and the
command's exit status kept.
"""

import atexit
import os
import sys

_status = [1]  # what the process exits with; 1 until the command returns (an uncaught error)


def _exit_now() -> None:
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(_status[0])


def _status_of(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # what sys.exit("message") prints
    return 1


atexit.register(_exit_now)

from pipeline.cli import main  # noqa: E402  (after the handler: Prefect's handlers run before it)

try:
    _status[0] = _status_of(main())
except SystemExit as exc:  # argparse's usage errors (status 2)
    _status[0] = _status_of(exc.code)
sys.exit(_status[0])
