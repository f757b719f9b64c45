"""Load benchmark (issue #11 §3): concurrent logged-in sessions against `supportqa serve`.

    .venv/bin/python bench/load.py [--sessions 50] [--seconds 60] [--workers 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportqa_load .venv/bin/python bench/load.py

Builds the demo in its own data directory (SQLite) or database (PostgreSQL; created when
missing) unless it is there, starts `supportqa serve` (gunicorn) on a free loopback port, logs
in --sessions sessions as the demo's people (managers, leads, QA reviewers, agents) and lets
each one work for --seconds: page views of what that person opens (their home, team and agent
pages, the conversation list, conversations, the queue) and, for reviewers, review submits
(about one request in eight). Prints requests per second, errors and the median and p95 of
page views and of submits. Target: at 50 sessions, 0 errors, page-view p95 < 500 ms and at
least twice the 54 requests/s measured before the rollups (3 workers, demo database).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SUPPORTQA = str(Path(sys.executable).parent / "supportqa")
PASSWORD = "supportqa-demo"
PEOPLE = ["manager", "lead.alpha", "lead.bravo", "lead.charlie", "qa.lenient", "qa.strict"]
PEOPLE += ["ava", "ben", "chloe", "dev"]
REVIEWERS = {"qa.lenient", "qa.strict", "lead.alpha", "lead.bravo", "lead.charlie"}
PAGES = {  # what each kind of person opens besides conversations
    "manager": ["/", "/conversations/", "/teams/", "/agents/", "/autoqa/", "/causes/"],
    "lead": ["/", "/conversations/", "/teams/", "/agents/"],
    "qa": ["/", "/conversations/", "/queue/", "/reviewers/"],
    "agent": ["/", "/conversations/"],
}


def pages_of(person: str) -> list[str]:
    kind = person.split(".")[0] if "." in person else person
    return PAGES.get(kind, PAGES["agent"])


@dataclass
class Tally:
    views: list[float] = field(default_factory=list)
    submits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, problem: str | None, page: str = "") -> None:
        with self.lock:
            if problem:
                self.errors.append(problem)
            else:
                (self.submits if kind == "submit" else self.views).append(seconds * 1000)
                self.by_page.setdefault(page, []).append(seconds * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "supportqa-load"))
    args = parser.parse_args()
    env = prepare(Path(args.data_dir))
    port = free_port()
    server = subprocess.Popen(
        [SUPPORTQA, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        sessions = [login(base, PEOPLE[i % len(PEOPLE)]) for i in range(args.sessions)]
        tally = Tally()
        deadline = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(
                target=work, args=(base, person, session, deadline, tally, i, args.sessions)
            )
            for i, (person, session) in enumerate(sessions)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, tally, elapsed, env["DATABASE_URL"])
    # The server's processes are reaped by now: their CPU is the children's (with the demo's
    # build when it ran in this invocation).
    mine, theirs = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(
        f"CPU: load generator {mine.ru_utime + mine.ru_stime:.0f} s, server "
        f"{theirs.ru_utime + theirs.ru_stime:.0f} s, of {elapsed * (os.cpu_count() or 1):.0f} "
        f"core-seconds"
    )


def prepare(data_dir: Path) -> dict[str, str]:
    """The environment of a server on the demo data (built on first use)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{data_dir / 'supportqa.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SUPPORTQA_DATA_DIR": str(data_dir),
        "SUPPORTQA_LOGIN_FAILURE_LIMIT": "1000",
    }
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([SUPPORTQA, "migrate", "--verbosity", "0"], env=env, check=True)
    marker = data_dir / f"demo-built-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    if not marker.exists():
        subprocess.run([SUPPORTQA, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([SUPPORTQA, "rollups", "refresh"], env=env, check=True)
        marker.touch()
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base: str, server: subprocess.Popen) -> None:
    """Poll the login page until the server answers (at most a minute)."""
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("supportqa serve exited")
        try:
            if requests.get(f"{base}/login/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # the server is starting; this is a readiness poll, not a sync point
    raise SystemExit("supportqa serve did not answer within a minute")


def login(base: str, person: str) -> tuple[str, requests.Session]:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=30)
    response = session.post(
        f"{base}/login/",
        data={"username": person, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    if "sessionid" not in session.cookies:
        raise SystemExit(f"could not log in as {person}: {response.status_code}")
    return person, session


def work(
    base: str,
    person: str,
    session: requests.Session,
    deadline: float,
    tally: Tally,
    seed: int,
    sessions: int,
) -> None:
    rng = random.Random(seed)
    links = _links(session.get(f"{base}/conversations/", timeout=60).text)
    # Reviewers submit on conversations nobody has reviewed yet, each once: the sessions of
    # one person take turns through the list.
    unreviewed = _links(session.get(f"{base}/conversations/?reviewed=no", timeout=60).text)
    unreviewed = unreviewed[seed // len(PEOPLE) :: -(-sessions // len(PEOPLE))]
    home = [f"{base}{page}" for page in pages_of(person)]
    while time.perf_counter() < deadline:
        if person in REVIEWERS and unreviewed and rng.random() < 0.125:
            _submit(base, session, unreviewed.pop(), tally)
            continue
        url = rng.choice(home + [f"{base}{link}" for link in rng.sample(links, min(2, len(links)))])
        started = time.perf_counter()
        try:
            response = session.get(url, timeout=60)
            problem = (
                None if response.status_code in (200, 404) else f"{response.status_code} {url}"
            )
        except requests.RequestException as error:
            problem = f"{type(error).__name__} {url}"
        page = re.sub(r"/[a-z0-9]{12}/", "/<code>/", url.removeprefix(base))
        tally.add("view", time.perf_counter() - started, problem, page)


def _submit(base: str, session: requests.Session, link: str, tally: Tally) -> None:
    """Open a conversation's review workspace and submit a review choosing each criterion's
    first option."""
    url = f"{base}{link}"
    started = time.perf_counter()
    try:
        page = session.get(url, timeout=60)
        if page.status_code == 404:  # out of this person's scope
            return
        ratings = {}
        for name, value in re.findall(r'name="(rating-[^"]+)"[^>]*value="([^"]*)"', page.text):
            ratings.setdefault(name, value)
        data = {
            "csrfmiddlewaretoken": _csrf(page.text),
            "action": "submit",
            "scorecard": "chat-quality",
            "overall_comment": "Load test",
            **ratings,
        }
        response = session.post(url, data=data, headers={"Referer": url}, timeout=60)
        ok = response.status_code in (200, 302)
        said = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]{0,120})', response.text)[:2]
        problem = None if ok else f"submit {response.status_code} {url} {said}"
    except requests.RequestException as error:
        problem = f"submit {type(error).__name__} {url}"
    tally.add("submit", time.perf_counter() - started, problem)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


def _links(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/conversations/[a-z0-9]+/)"', html)))


def report(args: argparse.Namespace, tally: Tally, elapsed: float, url: str) -> None:
    total = len(tally.views) + len(tally.submits) + len(tally.errors)
    vendor = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\n{args.sessions} sessions for {elapsed:.0f} s against supportqa serve "
        f"({args.workers} workers, demo data, {vendor})"
    )
    print(f"{'':18}{'requests':>10}{'per s':>8}{'median ms':>11}{'p95 ms':>9}")
    for name, samples in (("page views", tally.views), ("review submits", tally.submits)):
        if samples:
            ordered = sorted(samples)
            p95 = ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]
            print(
                f"{name:18}{len(samples):10d}{len(samples) / elapsed:8.1f}"
                f"{statistics.median(samples):11.0f}{p95:9.0f}"
            )
    print(f"{'all':18}{total:10d}{total / elapsed:8.1f}")
    print("\nslowest pages (median ms, requests):")
    medians = {page: statistics.median(times) for page, times in tally.by_page.items()}
    for page, median in sorted(medians.items(), key=lambda item: -item[1])[:6]:
        print(f"  {page:40}{median:8.0f}{len(tally.by_page[page]):6d}")
    print(f"errors: {len(tally.errors)}" + (f" (first: {tally.errors[0]})" if tally.errors else ""))


if __name__ == "__main__":
    main()
