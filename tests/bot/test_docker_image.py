"""The image as users run it: built from the Dockerfile, started with test Slack settings against
the stub Web API, asked a signed question, asked through `rumorbot ask`, and stopped.

Needs a Docker engine (`eval "$(scripts/docker-engine)"` starts one where none runs); skipped
without one unless RUMORBOT_REQUIRE_DOCKER=1, as in CI. RUMORBOT_DOCKER_BASE_IMAGE overrides the
base image; a CPU torch wheel found in RUMORBOT_DOCKER_WHEELS or PIP_FIND_LINKS and this host's
CA bundle are handed to the build stage (deploy/build-extras/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import ADMIN, BOT_TOKEN, SECRET, SlackClient, mention
from tests.bot.slack_stub import SlackStub
from tests.bot.test_serve import free_port

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
TAG = "rumorbot:test"
HEALTH = (
    "import urllib.request;"
    " print(urllib.request.urlopen('http://127.0.0.1:{port}/healthz').read().decode())"
)


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {args[0]} failed: {result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def engine() -> None:
    if shutil.which("docker") and docker("info", check=False, timeout=30).returncode == 0:
        return
    reason = 'no Docker engine answers (eval "$(scripts/docker-engine)" starts one)'
    if os.environ.get("RUMORBOT_REQUIRE_DOCKER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def build_context(target: Path) -> dict[str, str]:
    """The files .dockerignore lets through, plus this host's extras; returns build args."""
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        if line.startswith("!"):
            source = ROOT / line[1:].rstrip("/")
            if source.is_dir():
                shutil.copytree(
                    source,
                    target / source.relative_to(ROOT),
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                shutil.copy2(source, target / source.relative_to(ROOT))
    extras = target / "deploy" / "build-extras"
    paths = ssl.get_default_verify_paths()
    ca = paths.cafile or paths.openssl_cafile
    if ca and Path(ca).is_file():
        shutil.copy(ca, extras / "ca.crt")
    args = {}
    if base := os.environ.get("RUMORBOT_DOCKER_BASE_IMAGE"):
        args["BASE_IMAGE"] = base
    dirs = f"{os.environ.get('RUMORBOT_DOCKER_WHEELS', '')} {os.environ.get('PIP_FIND_LINKS', '')}"
    for folder in dict.fromkeys(dirs.split()):
        for wheel in Path(folder.removeprefix("file://")).glob("torch-2.13.0+cpu-*.whl"):
            if (extras / wheel.name).exists():
                continue
            try:
                os.link(wheel, extras / wheel.name)  # ~200 MB: link, don't copy
            except OSError:
                shutil.copy(wheel, extras / wheel.name)
            # The wheel stands in for PyTorch's own index, which may be unreachable.
            args["TORCH_INDEX_URL"] = "https://pypi.org/simple"
    return args


@pytest.fixture(scope="module")
def image(engine: None, tmp_path_factory: pytest.TempPathFactory, request) -> str:
    context = tmp_path_factory.mktemp("docker-context")
    args = build_context(context)
    flags = [f"--build-arg={key}={value}" for key, value in args.items()]
    started = time.monotonic()
    # The build stage is tagged too, so that pruning what older builds left behind keeps the
    # layer cache (dependencies, model) of this one. The legacy builder: BuildKit needs the
    # buildx plugin, which Debian's docker.io lacks.
    output = ""
    for target in (["--target", "build", "-t", f"{TAG}-build"], ["-t", TAG]):
        result = subprocess.run(
            ["docker", "build", *target, *flags, str(context)],
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        output += result.stdout
    docker("image", "prune", "--force")
    cached = output.count("Using cache")
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").write_line(
            f"docker build: {time.monotonic() - started:.0f} s"
            f" ({cached} steps from the layer cache)"
        )
    return TAG


@pytest.fixture
def container(image: str, stub: SlackStub) -> Iterator[tuple[str, int]]:
    name, port = f"rumorbot-test-{uuid.uuid4().hex[:8]}", free_port()
    # Host networking: the container reaches the stub on this host's loopback, and we reach it.
    docker(
        "run", "--detach", "--name", name, "--network", "host",
        "--health-interval", "2s",
        "--mount", f"type=volume,src={name},dst=/data",
        "--env", f"PORT={port}",
        "--env", f"SLACK_BOT_TOKEN={BOT_TOKEN}",
        "--env", f"SLACK_SIGNING_SECRET={SECRET}",
        "--env", f"SLACK_API_BASE_URL={stub.url}/api/",
        "--env", f"RUMORBOT_ADMIN_USER_IDS={ADMIN}",
        image,
    )  # fmt: skip
    try:
        yield name, port
    finally:
        docker("rm", "--force", name, check=False)
        docker("volume", "rm", name, check=False)


def wait_healthy(name: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(docker("inspect", "--format", "{{json .State}}", name).stdout)
        if not state["Running"]:
            raise AssertionError(f"container exited: {docker('logs', name).stderr[-3000:]}")
        if state["Health"]["Status"] == "healthy":
            return
        time.sleep(1)
    raise AssertionError(f"never healthy: {docker('logs', name).stderr[-3000:]}")


def test_the_image_answers_in_a_thread_and_stops_cleanly(container, stub: SlackStub) -> None:
    name, port = container
    wait_healthy(name)  # the image's own HEALTHCHECK, probing /healthz

    slack = SlackClient(f"http://127.0.0.1:{port}", stub)
    question = mention("Why was Opus 3.5 not released?", ts="88.1")
    assert slack.event(question, event_id="EvDocker").status == 200
    (call,) = stub.wait_for("chat.postMessage", timeout=60)
    assert call["thread_ts"] == "88.1"
    assert stub.headers["chat.postMessage"][0]["Authorization"] == f"Bearer {BOT_TOKEN}"
    blocks = json.dumps(call["blocks"], ensure_ascii=False)
    assert "Opus 3.5" in blocks and "Corpus version 1" in blocks

    asked = docker("exec", name, "rumorbot", "ask", "--json", "Orion 为什么失败？")
    (answer,) = [json.loads(line) for line in asked.stdout.splitlines()]
    assert answer["confidence"] in {"high", "medium", "low"} and answer["passages"]

    # The translator's model was joined and verified at build time; its parts are not kept.
    models = docker("exec", name, "ls", "/opt/models").stdout.split()
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in models
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.sha256" in models
    assert docker("exec", name, "ls", "/opt/translator-parts", check=False).returncode != 0
    assert docker("exec", name, "python", "-c", "import llama_cpp").returncode == 0
    health = docker("exec", name, "python3", "-c", HEALTH.format(port=port)).stdout
    assert '"english"' in health

    # Non-root, state on the volume, no build-stage extras left in the image.
    assert docker("exec", name, "id", "-u").stdout.strip() == "10001"
    assert "rumorbot.sqlite3" in docker("exec", name, "ls", "/data").stdout.split()
    leftovers = docker("exec", name, "ls", "/build-extras", "/etc/pip.conf", check=False)
    assert leftovers.returncode != 0 and not leftovers.stdout

    docker("stop", "--time", "30", name, timeout=60)
    assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    logs = docker("logs", name)
    output = logs.stdout + logs.stderr
    assert "finishing in-flight answers" in output
    assert BOT_TOKEN not in output and SECRET not in output
