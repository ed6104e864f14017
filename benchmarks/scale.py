"""Many videos: the local engine against the ray engine on a real local Ray cluster, and the
cost model of 10,000 video-hours a day that their measured stage timings imply.

N real clips (the Intel sample clips of ``../shared/media/intel`` or any folder) are indexed from
scratch twice, each time by ``vidseek index DIR`` in a child process with a fresh data dir and
the offline profile: first with the local engine (the baseline of the same run), then with
``--engine ray --ray-address HOST:PORT`` against a cluster this script starts with
``ray start --head --num-cpus C`` (and, with ``--extra-node-cpus K``, a second node process that
joins it: the wiring of a multi-machine cluster, on one machine). Wall times include the child's
start, imports and model loading, as a user sees them. Printed: videos per hour and video-hours
per hour of each engine, the ratio of ray to local, the per-video overhead of the cluster
(per-video wall seconds, median, ray minus local), the fixed cost, and a table of per-stage
seconds per video-second (``BuildReport`` stage timings, from the children's reports) with the
machines needed for 10,000 video-hours per day.

    python benchmarks/scale.py --n 16                       # 2 CPUs (this machine)
    python benchmarks/scale.py --n 16 --extra-node-cpus 1   # head + a second node process
    # a GPU machine (16 cores, 1 GPU), one command: model actors on the GPU, CLIP frames on
    # (random weights: throughput only; a real checkpoint with ?checkpoint=PATH)
    python benchmarks/scale.py --n 64 --cpus 16 --gpus 1 \
        --set models.image_text_embedder=random:clip-tiny --set cluster.actor_gpus=0.5

The cluster is stopped by ending the process group this script started (never ``ray stop``,
which would end every Ray on the machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("benchmarks.scale")

REPO = Path(__file__).resolve().parents[1]
DAY_HOURS = 10_000.0  # video-hours to index per day in the extrapolation

# the child: index a folder with the engine the settings select, print the reports as JSON
_CHILD = """
import json, sys, time
from vidseek.config import load_settings
from vidseek.memory.pipeline import index_many
overrides = json.loads(sys.argv[1])
t0 = time.perf_counter()
reports = index_many([sys.argv[2]], load_settings(**overrides), progress=False)
wall = time.perf_counter() - t0
out = [{"video": str(r.info.path), "duration_s": r.info.duration_s, "seconds": r.seconds,
        "stages": [[t.stage, t.wall_s, t.video_s] for t in r.timings()]} for r in reports]
print("SCALE-JSON " + json.dumps({"index_wall_s": wall, "reports": out}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_clips(source: Path, n: int, dest: Path) -> list[Path]:
    """N clips of ``source`` (shortest first, so a small N still spans several kinds), copied
    into ``dest`` (a folder the engines index)."""
    found = sorted(p for p in source.glob("*.mp4") if not p.name.endswith("_full.mp4"))
    if len(found) < n:
        raise SystemExit(f"{source} has {len(found)} clips, fewer than --n {n}")
    dest.mkdir(parents=True, exist_ok=True)
    step = len(found) / n
    chosen = [found[int(i * step)] for i in range(n)]
    for p in chosen:
        shutil.copy(p, dest / p.name)
    return sorted(dest.iterdir())


def set_override(overrides: dict[str, Any], dotted: str) -> None:
    key, _, value = dotted.partition("=")
    parts = key.split(".")
    node = overrides
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    parsed: Any = value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        pass
    node[parts[-1]] = None if value in ("none", "None") else parsed


def run_child(overrides: dict[str, Any], folder: Path) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one child index run, and what it printed."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(overrides), str(folder)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"index run failed:\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SCALE-JSON "))
    return wall, json.loads(line.removeprefix("SCALE-JSON "))


class Cluster:
    """A ``ray start --head --block`` (and optionally a second node) in process groups of their
    own, ended by their ids."""

    def __init__(self, cpus: int, gpus: int, extra_cpus: int) -> None:
        self.port = free_port()
        self.procs: list[subprocess.Popen] = []
        ray = str(Path(sys.executable).with_name("ray"))
        common = ["--block", "--disable-usage-stats", f"--num-gpus={gpus}"]
        head = [ray, "start", "--head", f"--port={self.port}", f"--num-cpus={cpus}"]
        head += ["--include-dashboard=false", f"--ray-client-server-port={free_port()}"]
        head += [f"--dashboard-agent-listen-port={free_port()}"]
        self.address = f"127.0.0.1:{self.port}"
        try:
            self._start(head + common)
            self._wait_cpus(cpus)
            if extra_cpus > 0:
                node = [ray, "start", f"--address={self.address}", f"--num-cpus={extra_cpus}"]
                node += [f"--dashboard-agent-listen-port={free_port()}"]
                self._start(node + common)
                self._wait_cpus(cpus + extra_cpus)
        except BaseException:
            self.stop()
            raise

    def _start(self, cmd: list[str]) -> None:
        log.info("%s", " ".join(cmd))
        self.procs.append(
            subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        )

    def _wait_cpus(self, cpus: int, timeout_s: float = 180.0) -> None:
        probe = (
            "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
            "print(int(ray.cluster_resources().get('CPU', 0)))"
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = subprocess.run(
                [sys.executable, "-c", probe, self.address], capture_output=True, text=True
            )
            if proc.returncode == 0 and proc.stdout.strip().isdigit():
                if int(proc.stdout.strip()) >= cpus:
                    return
            time.sleep(2)
        raise SystemExit(f"the Ray cluster at {self.address} did not come up with {cpus} CPUs")

    def stop(self) -> None:
        """End the nodes, and the pointer to this cluster that ``ray start`` leaves behind (a
        later ``ray.init()`` on the machine would try to join the dead cluster)."""
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        try:
            if current.read_text().strip().endswith(f":{self.port}"):
                current.unlink()
        except OSError:
            pass


def stage_costs(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Stage -> seconds per video-second, summed over the videos of a run."""
    total_video = sum(r["duration_s"] for r in runs)
    per: dict[str, float] = {}
    for r in runs:
        for stage, seconds, _ in r["stages"]:
            if stage in ("overall", "frame pass", "decode wait"):
                continue
            per[stage] = per.get(stage, 0.0) + seconds
    return {k: v / total_video for k, v in per.items()}


def report(
    n: int, cpus: int, local: tuple[float, dict], ray: tuple[float, dict], machine_cores: int
) -> None:
    (lw, lout), (rw, rout) = local, ray
    video_s = sum(r["duration_s"] for r in lout["reports"])
    print(f"\n{n} videos, {video_s:.1f} s of video in all; cluster: {cpus} CPUs")
    print(f"{'engine':<8}{'wall s':>9}{'videos/h':>10}{'video-h/h':>11}")
    for name, wall in (("local", lw), ("ray", rw)):
        print(f"{name:<8}{wall:>9.1f}{n / wall * 3600:>10.0f}{video_s / wall:>11.2f}")
    print(f"ratio ray/local (videos per hour): {lw / rw:.2f}")
    lmed = statistics.median(r["seconds"] for r in lout["reports"])
    rmed = statistics.median(r["seconds"] for r in rout["reports"])
    print(
        f"per-video wall s, median: local {lmed:.1f}, ray {rmed:.1f} "
        f"(overhead {rmed - lmed:+.1f} s per video)"
    )
    print(
        f"fixed cost (child start, imports, cluster join, actors): local "
        f"{lw - lout['index_wall_s']:.1f} + ray {rw - rout['index_wall_s']:.1f} s outside "
        f"index_many; ray index_many {rout['index_wall_s']:.1f} s"
    )
    costs = stage_costs(lout["reports"])
    total = sum(costs.values())
    print("\nstage cost (local engine, wall s per video-s, 1 process):")
    for stage, c in sorted(costs.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<12}{c:>8.3f}  {100 * c / total:5.1f}%")
    # the cluster's measured core-seconds per video-second, and machines for the daily volume
    cores = min(cpus, os.cpu_count() or cpus)  # logical Ray CPUs beyond the machine's cores
    core_s = rw * cores / video_s
    need = DAY_HOURS * 3600 * core_s / (24 * 3600 * machine_cores)
    print(
        f"\nray: {core_s:.2f} core-s per video-s ({cores} cores) -> "
        f"{DAY_HOURS:,.0f} video-h/day needs {need:,.0f} machines of {machine_cores} cores "
        "at this clip length"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=16, help="videos to index")
    shared = Path(os.environ.get("VIDSEEK_SHARED", REPO.parent / "shared"))
    ap.add_argument("--clips", type=Path, default=shared / "media" / "intel")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the head node")
    ap.add_argument("--gpus", type=int, default=0, help="GPUs of the head node")
    ap.add_argument("--extra-node-cpus", type=int, default=0, help="CPUs of a second node")
    ap.add_argument("--machine-cores", type=int, default=16, help="cores per machine (paper)")
    ap.add_argument("--set", action="append", default=[], help="a settings override a.b=value")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # a `ray start` cluster of Ray 2.60 checks the token in ~/.ray/auth_token; its clients
    # (the probe, the driver in the child) must send it
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    with tempfile.TemporaryDirectory(prefix="vs-scale-", dir="/tmp") as tmp_s:
        tmp = Path(tmp_s)
        folder = tmp / "clips"
        clips = pick_clips(args.clips, args.n, folder)
        log.info("%d clips from %s", len(clips), args.clips)
        base: dict[str, Any] = {}
        for dotted in args.set:
            set_override(base, dotted)
        # the ray engine first: a cluster that does not come up ends the run early
        cluster = Cluster(args.cpus, args.gpus, args.extra_node_cpus)
        try:
            ray_settings = {**base, "data_dir": str(tmp / "ray-data")}
            ray_settings["cluster"] = {
                **base.get("cluster", {}),
                "engine": "ray",
                "ray_address": cluster.address,
            }
            ray = run_child(ray_settings, folder)
            log.info("ray engine: %.1f s", ray[0])
        finally:
            cluster.stop()
        local_settings = {**base, "data_dir": str(tmp / "local")}
        local = run_child(local_settings, folder)
        log.info("local engine: %.1f s", local[0])
        report(len(clips), args.cpus + args.extra_node_cpus, local, ray, args.machine_cores)


if __name__ == "__main__":
    main()
