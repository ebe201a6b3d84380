"""Run ``python -m reconciler ...`` as a subprocess and measure that one process's peak RSS.

Why not ``os.wait4`` / ``RUSAGE_CHILDREN``: on Linux a child's ``ru_maxrss`` starts from the
parent's resident size at fork time (the kernel keeps the pre-``exec`` high-water mark), so
a child of a 300 MB pytest process reports at least 300 MB even if it only ever touched
10 MB. ``RUSAGE_SELF`` inside the child has the same flaw. The high-water mark of the
address space the child gets from ``exec`` (``VmHWM`` in ``/proc/self/status``) is
that process's own, so the child reads it just before it exits and writes it to a file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Runs the command line exactly as ``python -m reconciler`` does, and reports VmHWM (kB)
# from an atexit hook, which runs after click's sys.exit.
# The CPU seconds it used (user + system, of this process alone) go on a second line.
_WRAPPER = """\
import atexit, resource, runpy, sys
_report_to = sys.argv.pop(1)
def _report() -> None:
    with open('/proc/self/status') as status:
        hwm = next(line.split()[1] for line in status if line.startswith('VmHWM:'))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(_report_to, 'w') as out:
        out.write(hwm + '\\n' + repr(usage.ru_utime + usage.ru_stime))
atexit.register(_report)
sys.argv[0] = 'reconciler'
runpy.run_module('reconciler', run_name='__main__', alter_sys=True)
"""


@dataclass(frozen=True)
class Measured:
    """One finished reconciler process."""

    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_rss_mb: float
    # CPU time of the process itself: unlike ``seconds`` it does not grow when the machine is
    # busy with other work, so it bounds the work done ("no hang, no blow-up") on any load.
    cpu_seconds: float = 0.0


def run_reconciler(args: list[str], *, env: dict[str, str] | None = None,
                   merge_stderr: bool = False, timeout: float | None = None) -> Measured:
    """Run ``reconciler <args>`` to the end; stdout and stderr are captured. With ``timeout``
    (wall seconds), a process still running then is killed and the call fails."""
    with tempfile.TemporaryDirectory(prefix="peak-rss-") as tmp:
        report = Path(tmp) / "vmhwm"
        started = time.perf_counter()
        stderr_target: int = subprocess.STDOUT if merge_stderr else subprocess.PIPE
        process = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(report), *args],
            stdout=subprocess.PIPE, stderr=stderr_target, stdin=subprocess.DEVNULL, env=env)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AssertionError(f"reconciler {' '.join(args)[:200]} still ran after "
                                 f"{timeout} s (killed)") from None
        seconds = time.perf_counter() - started
        if not report.exists():
            raise AssertionError(f"the process (exit {process.returncode}) did not report its "
                                 f"peak RSS; output: {(stdout + (stderr or b''))[-2000:]!r}")
        peak_kb, cpu = report.read_text().split()
    return Measured(process.returncode, stdout, stderr or b"", seconds, int(peak_kb) / 1024,
                    float(cpu))

