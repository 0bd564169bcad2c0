"""Four weeks of a developer's calendar through devtray's real auto-stop policy (fake clock).

    .venv/bin/python benchmarks/autostop_simulation.py [--seed N] [--agent-idle-minutes M]

The calendar (16 Mar - 12 Apr 2026, Europe/Berlin, so it crosses the spring DST change):
workdays with an arrival between 08:30 and 09:15, one or two meetings (the laptop goes along
half the time, otherwise it is closed), lunch with the laptop closed, leaving between 17:00 and
18:15 with the laptop closed; two late nights (until 21:30 and 22:45); a Friday in week 1 when
the laptop is left open on the desk all weekend; a Friday before the vacation week when the
developer leaves at 15:30 and forgets the VM with the laptop closed; the vacation week; a
normal last week. While working, the signals devtray can see (sync, tunnels, terminal, CPU)
show activity in about 70 % of minutes, with quiet reading stretches of 5-12 minutes.

Strategies, side by side on the same calendar:
- always-on: the VM never stops.
- fixed 19:00: a server-side stop at 19:00 every day, no warning, no idle rule.
- devtray: the tray's `Policy.step` every minute while the laptop is awake (it sleeps with the
  laptop), plus the VM-side idle agent's own rule (`idle_agent_script.decide`) every minute.
- devtray, no agent: the tray alone.
Every strategy starts the VM when the developer sits down to work and finds it stopped. The
developer ignores every warning (the worst case: no snoozes). A "stop while active" is a stop
in a minute the developer was working. Idle hours are billed hours in which they were not.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from desktop.core.autostop import Action, Policy, PolicyState
from desktop.core.config import AutostopConfig
from desktop.remote.idle_agent_script import decide

TZ = ZoneInfo("Europe/Berlin")
START = date(2026, 3, 16)  # a Monday
DAYS = 28
MINUTE = timedelta(minutes=1)
HOURLY_PRICE = 0.0912 + 30 * 0.088 / 730 + 0.005  # t3.large, 30 GB gp3, one IPv4 (eu-west-1)


@dataclass
class Calendar:
    """Minute by minute: is the developer working, is the laptop awake, what can be seen."""

    times: list[datetime]
    working: list[bool]
    awake: list[bool]
    signal: list[bool]  # activity the tray can observe (sync, tunnels, terminal, CPU)
    connected: list[bool]  # the IDE's SSH connection is open (laptop awake, work hours)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def build_calendar(seed: int) -> Calendar:
    """The four weeks described in the module docstring, reproducible from `seed`."""
    rng = random.Random(seed)
    start = _local(START, 0)
    end = _local(START + timedelta(days=DAYS), 0)
    # UTC minute steps: the DST day really has 23 hours.
    times = []
    now = start.astimezone(ZoneInfo("UTC"))
    while now < end:
        times.append(now.astimezone(TZ))
        now += MINUTE
    index = {t: i for i, t in enumerate(times)}
    working = [False] * len(times)
    awake = [False] * len(times)
    connected = [False] * len(times)

    def mark(flags: list[bool], begin: datetime, finish: datetime, value: bool = True) -> None:
        i = index[begin.replace(second=0, microsecond=0)]
        while i < len(times) and times[i] < finish:
            flags[i] = value
            i += 1

    late = {START + timedelta(days=1): (21, 30), START + timedelta(days=10): (22, 45)}
    open_weekend = START + timedelta(days=4)  # Friday, week 1: laptop left open
    forgotten = START + timedelta(days=11)  # Friday before the vacation week
    vacation = {START + timedelta(days=d) for d in range(14, 21)}
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        if day.weekday() >= 5 or day in vacation:
            continue
        arrive = _local(day, 8, 30) + timedelta(minutes=rng.randint(0, 45))
        lunch = _local(day, 12, 0) + timedelta(minutes=rng.randint(-10, 15))
        lunch_end = lunch + timedelta(minutes=rng.randint(40, 70))
        leave = _local(day, 17, 0) + timedelta(minutes=rng.randint(0, 75))
        if day in late:
            leave = _local(day, *late[day])
        if day == forgotten:
            leave = _local(day, 15, 30)
        mark(working, arrive, lunch)
        mark(working, lunch_end, leave)
        mark(awake, arrive, lunch)
        mark(awake, lunch_end, leave)
        for _ in range(rng.choice((1, 2))):
            slot = rng.choice((_local(day, 10), _local(day, 11), _local(day, 14), _local(day, 15)))
            meeting_end = slot + timedelta(minutes=rng.choice((30, 60)))
            mark(working, slot, meeting_end, False)
            if rng.random() < 0.5:  # the laptop stays behind, closed
                mark(awake, slot, meeting_end, False)
        if day == open_weekend:
            mark(awake, leave, _local(day + timedelta(days=3), 8, 0))
        for i, t in enumerate(times):
            if arrive <= t < leave or (day == open_weekend and awake[i] and t >= leave):
                connected[i] = awake[i]
    signal = _signals(working, rng)
    return Calendar(times, working, awake, signal, connected)


def _signals(working: list[bool], rng: random.Random) -> list[bool]:
    """Observable activity while working: ~70 % of minutes, with quiet reading stretches."""
    signal = [False] * len(working)
    quiet_until = -1
    for i, busy in enumerate(working):
        if not busy:
            continue
        if quiet_until < i and rng.random() < 1 / 45:
            quiet_until = i + rng.randint(5, 12)
        signal[i] = i > quiet_until and rng.random() < 0.7
    return signal


@dataclass
class Outcome:
    """What one strategy did over the four weeks."""

    name: str
    running_minutes: int = 0
    idle_minutes: int = 0
    stops: int = 0
    stops_while_active: int = 0
    starts_by_developer: int = 0
    warnings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.running_minutes / 60

    @property
    def idle_hours(self) -> float:
        return self.idle_minutes / 60


Stopper = Callable[[int, bool], tuple[bool, bool]]  # (minute, running) -> (stop?, warned?)


def simulate(
    name: str, calendar: Calendar, decide_stop: Stopper, *, initially_running: bool = False
) -> Outcome:
    """Walk the calendar minute by minute with one strategy deciding when to stop."""
    outcome = Outcome(name)
    running = initially_running
    for i, _t in enumerate(calendar.times):
        if calendar.working[i] and not running:
            running = True
            outcome.starts_by_developer += 1
        if running:
            stop, warned = decide_stop(i, running)
            outcome.warnings += warned
            if stop:
                running = False
                outcome.stops += 1
                outcome.stops_while_active += calendar.working[i]
        if running:
            outcome.running_minutes += 1
            outcome.idle_minutes += not calendar.working[i]
    return outcome


def always_on(_calendar: Calendar) -> Stopper:
    return lambda _i, _running: (False, False)


def fixed_1900(calendar: Calendar) -> Stopper:
    def stopper(i: int, _running: bool) -> tuple[bool, bool]:
        t = calendar.times[i]
        return (t.hour == 19 and t.minute == 0, False)

    return stopper


def devtray(calendar: Calendar, *, agent_idle_minutes: float | None) -> Stopper:
    """The tray's real policy (while the laptop is awake) and the VM's agent rule."""
    policy = Policy(AutostopConfig(), TZ)
    state = PolicyState()
    agent: dict[str, object] = {}
    boots = 0
    was_running = False

    def stopper(i: int, running: bool) -> tuple[bool, bool]:
        nonlocal state, boots, was_running
        now = calendar.times[i]
        if not was_running:
            boots += 1  # every start is a fresh boot for the agent
        was_running = running
        warned = False
        if calendar.awake[i]:
            decision = policy.step(state, now, running=True, active=calendar.signal[i])
            state = decision.state
            warned = decision.action is Action.WARN
            if decision.action is Action.STOP:
                state = policy.step(state, now + MINUTE / 2, running=False, active=False).state
                was_running = False
                return True, warned
        if agent_idle_minutes is not None:
            reasons = ["ssh"] if calendar.connected[i] else []
            verdict, _idle = decide(agent, now.timestamp(), reasons, str(boots), agent_idle_minutes)
            if verdict.startswith("poweroff"):
                if calendar.awake[i]:
                    state = policy.step(state, now + MINUTE / 2, running=False, active=False).state
                was_running = False
                return True, warned
        return False, warned

    return stopper


def report(outcomes: list[Outcome], calendar: Calendar) -> str:
    """The side-by-side table and the targets."""
    baseline = outcomes[0]
    working_hours = sum(calendar.working) / 60
    lines = [
        f"Calendar: {calendar.times[0]:%d %b} - {calendar.times[-1]:%d %b %Y} (Europe/Berlin), "
        f"{len(calendar.times) / 60:.0f} h, developer working {working_hours:.1f} h",
        "",
        f"{'strategy':<22}{'VM-hours':>9}{'idle h':>8}{'idle removed':>14}{'cost':>9}"
        f"{'stops':>7}{'while active':>14}{'starts':>8}{'warnings':>10}",
    ]
    for o in outcomes:
        removed = 1 - o.idle_hours / baseline.idle_hours
        cost = f"${o.hours * HOURLY_PRICE:.2f}"
        lines.append(
            f"{o.name:<22}{o.hours:>9.1f}{o.idle_hours:>8.1f}{removed:>13.1%}"
            f"{cost:>9}{o.stops:>7}{o.stops_while_active:>14}"
            f"{o.starts_by_developer:>8}{o.warnings:>10}"
        )
    ours = outcomes[2]
    removed = 1 - ours.idle_hours / baseline.idle_hours
    lines += [
        "",
        f"Target: >= 90 % of idle hours removed vs always-on: {removed:.1%} "
        f"({'met' if removed >= 0.9 else 'NOT met'})",
        f"Target: zero stops while active: {ours.stops_while_active} "
        f"({'met' if ours.stops_while_active == 0 else 'NOT met'})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="auto-stop simulation over four weeks")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--agent-idle-minutes",
        type=float,
        default=AutostopConfig().agent_idle_minutes,
        help="the idle agent's threshold (default: devtray's default)",
    )
    args = parser.parse_args(argv)
    calendar = build_calendar(args.seed)
    outcomes = [
        simulate("always-on", calendar, always_on(calendar), initially_running=True),
        simulate("fixed 19:00", calendar, fixed_1900(calendar)),
        simulate(
            "devtray (tray + agent)",
            calendar,
            devtray(calendar, agent_idle_minutes=args.agent_idle_minutes),
        ),
        simulate("devtray, tray only", calendar, devtray(calendar, agent_idle_minutes=None)),
    ]
    sys.stdout.write(report(outcomes, calendar) + "\n")
    targets_met = (
        1 - outcomes[2].idle_hours / outcomes[0].idle_hours >= 0.9
        and outcomes[2].stops_while_active == 0
    )
    return 0 if targets_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
