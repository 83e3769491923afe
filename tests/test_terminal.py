"""End to end in a real terminal: gloss in tmux at 80x24, directly and over a real sshd."""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux")


class Tmux:
    def __init__(self, name: str, command: str, width: int = 80, height: int = 24) -> None:
        self.name = name
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command], check=True)
        subprocess.run(["tmux", "set-option", "-t", name, "escape-time", "0"], capture_output=True)

    def screen(self) -> str:
        r = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return r.stdout

    def wait_for(self, text: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        for k in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name] + (["-l"] if literal else []) + [k], check=True)
            time.sleep(0.15)

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def walk(t: Tmux) -> list[str]:
    """Open the samples, select Wang Yi, read his summary, walk his mentions, compare, quit."""
    screens = [t.wait_for("There is no expectation")]
    t.keys("x")
    t.wait_for("Entities (")
    t.keys("wang yi", literal=True)
    t.keys("Enter")
    screens.append(t.wait_for("Chinese diplomat"))
    assert "1/10 · source 1 of 4" in screens[-1]
    for n in range(2, 11):
        t.keys("n")
        screens.append(t.wait_for(f"{n}/10 · source"))
    t.keys("n")
    screens.append(t.wait_for("1/10 · source 1 of 4"))
    t.keys("c")
    screens.append(t.wait_for("How each source tells it"))
    t.keys("q")
    t.wait_for("Chinese diplomat")
    t.keys("q")
    end = time.monotonic() + 10
    while t.alive() and time.monotonic() < end:
        time.sleep(0.2)
    return screens


def reader_command(wiki, warmed) -> str:
    """The shell command that opens the reader on the samples, offline, on the warmed cache."""
    gloss = " ".join(shlex.quote(x) for x in [sys.executable, "-m", "tui.cli", str(SAMPLES), "--offline", "--wiki-api", wiki.url, "--cache-dir", str(warmed)])
    return f"cd {shlex.quote(str(ROOT))} && TERM=xterm-256color {gloss}"


def test_reader_in_tmux_at_80x24(wiki, warmed):
    cmd = reader_command(wiki, warmed)
    t = Tmux(f"gloss-test-{os.getpid()}", cmd + "; sleep 5")
    try:
        screens = walk(t)
        assert any("source 4 of 4" in s for s in screens)
        assert "Wang Yi" in screens[1]
    finally:
        t.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path):
    daemon = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(daemon).exists() or not shutil.which("ssh"):
        pytest.skip("needs openssh-server and openssh-client (.ci/run installs them)")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "user")], check=True)
    (tmp_path / "authorized_keys").write_text((tmp_path / "user.pub").read_text())
    os.chmod(tmp_path / "authorized_keys", 0o600)
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host'}\nAuthorizedKeysFile {tmp_path / 'authorized_keys'}\n"
        f"PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n"
        f"StrictModes no\nUsePAM no\nPidFile {tmp_path / 'sshd.pid'}\nAcceptEnv LANG LC_*\nPrintMotd no\n"
    )
    proc = subprocess.Popen([daemon, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip("sshd did not start: " + (proc.stderr.read() if proc.stderr else ""))
    yield port, tmp_path / "user"
    proc.terminate()
    proc.wait(5)


def test_reader_over_ssh_in_tmux(sshd, wiki, warmed):
    port, key = sshd
    remote = reader_command(wiki, warmed)
    ssh = (
        f"ssh -tt -i {key} -p {port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
        f"{getpass.getuser()}@127.0.0.1 {shlex.quote(remote)}"
    )
    t = Tmux(f"gloss-ssh-{os.getpid()}", f"TERM=xterm-256color {ssh}; sleep 5")
    try:
        screens = walk(t)
        assert any("source 4 of 4" in s for s in screens)
    finally:
        t.close()


def test_quit_while_annotating_ends_at_once(wiki, tmp_path):
    """q during a long annotation: the reader and its spaCy thread are gone within seconds, exit status 0."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    big = tmp_path / "long.txt"
    big.write_text("\n\n".join(texts * 60), encoding="utf-8")  # ~1.5 MB: a minute of spaCy
    cmd = (
        f"cd {shlex.quote(str(ROOT))} && TERM=xterm-256color {shlex.quote(sys.executable)} -m tui.cli {shlex.quote(str(big))} "
        f"--offline --wiki-api {shlex.quote(wiki.url)} --cache-dir {shlex.quote(str(tmp_path / 'c'))}; echo GLOSS-EXITED $?; sleep 30"
    )
    t = Tmux(f"gloss-quit-{os.getpid()}", cmd)
    try:
        t.wait_for("annotating", timeout=60)
        time.sleep(1.0)
        t.keys("q")
        started = time.monotonic()
        t.wait_for("GLOSS-EXITED 0", timeout=15)
        assert time.monotonic() - started < 10
        pids = subprocess.run(["pgrep", "-f", f"tui.cli {big}"], capture_output=True, text=True).stdout.split()
        left = [p for p in pids if Path(f"/proc/{p}/comm").exists() and Path(f"/proc/{p}/comm").read_text().startswith("python")]
        assert not left, f"still running: {left}"
    finally:
        t.close()
