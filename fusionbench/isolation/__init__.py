"""Running untrusted code: bubblewrap sandbox, resource limits, cgroups, cleanup.

Infrastructure below both :mod:`fusionbench.metrics` (the C2C execution metric runs candidate
functions here) and :mod:`fusionbench.harness` (submissions run here); it imports neither.

The public API is one call::

    from fusionbench.isolation import Limits, run_entrypoint

    outcome = run_entrypoint("python candidate.py", work_folder,
                             limits=Limits(wall_time_s=5, memory_bytes=256 * 2**20, max_processes=16,
                                           output_bytes=2**20, log_bytes=4096),
                             output_dir=work_folder)   # the folder whose size is capped
    outcome.status      # "ok", "error", "timeout", "memory_limit", "output_limit", ...
    outcome.exit_code   # the command's exit status (None if it never ran)
    outcome.stdout["text"], outcome.stderr["text"]      # first and last log_bytes/2 bytes of each
    outcome.flags       # facts such as "process_limit_hit", "file_size_limit_hit"
    outcome.isolation   # what held: uid inside, capabilities, locks verified, cgroup, rlimits

``work_folder`` is the only writable place (the hardened sandbox runs the command as uid 65534
with no capabilities; see :mod:`fusionbench.isolation.sandbox`); ``readonly=[...]`` binds extra
folders read-only, ``masked=[...]`` hides answer files under bound folders, ``env={...}`` adds
environment variables (nothing else of the caller's environment is passed).  The call raises
:class:`~fusionbench.errors.SandboxError` when bubblewrap is missing or its locks are not in force;
``sandbox=False`` is the only way to run without them.
"""

from fusionbench.isolation.sandbox import Limits, RunOutcome, bwrap_path, run_entrypoint, verify_locks

__all__ = ["Limits", "RunOutcome", "bwrap_path", "run_entrypoint", "verify_locks"]
