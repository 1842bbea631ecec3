"""Every shell script of the repository, for shellcheck: `*.sh` and sh/bash shebang files.

Listed by git (tracked plus untracked-but-not-ignored files), so a new script is linted from the
moment it exists and nothing under .venv, .tools or other ignored trees is. Run as a script, it
prints one path per line (scripts/check-k8s.sh feeds them to shellcheck).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The dialects shellcheck checks.
SHELLS = {"sh", "bash", "dash", "ksh"}


def is_shell_script(path: Path) -> bool:
    """A `.sh` file, or a file whose first line is a sh/bash/dash/ksh shebang."""
    if path.suffix == ".sh":
        return True
    with path.open("rb") as f:
        line = f.readline(200).decode(errors="replace")
    words = line[2:].split() if line.startswith("#!") else []
    if words and Path(words[0]).name == "env":  # `#!/usr/bin/env [-S] bash`
        words = [w for w in words[1:] if not w.startswith("-")]
    return bool(words) and Path(words[0]).name in SHELLS


def shell_scripts(repo: Path = REPO) -> list[str]:
    """Repository-relative paths of every shell script git knows of (not ignored), sorted.

    Raises:
        RuntimeError: git cannot list the tree (not a checkout, or an untrusted one).
    """
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git ls-files failed in {repo}: {proc.stderr.decode().strip()}")
    names = sorted({n for n in proc.stdout.decode().split("\0") if n})
    return [n for n in names if (repo / n).is_file() and is_shell_script(repo / n)]


if __name__ == "__main__":
    try:
        print("\n".join(shell_scripts()))
    except RuntimeError as e:
        sys.exit(f"shell_scripts: {e}")
