"""The host numbers of `GET /system` (semantics §9), read through psutil.

`cpu_temp` °C at 1 dp (null where the host has no sensor), `load_average` the 1-minute load,
`memory_usage` % of memory used, `uptime` the host's time since boot as `"24h 15m"`, `disk_free`
the space left to unprivileged users on the data directory's file system as `"45G"`.
`active_agents` is a database count and is added by the view, not here.

The formatting and the sensor choice are pure functions; `system_stats` is the one function that
reads the live host. No Django import: the caller passes the data directory.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import psutil

THERMAL_ROOT = Path("/sys/class/thermal")

# psutil sensor chips that measure the CPU, best first: Raspberry Pi (and other ARM boards),
# Intel, AMD, then ACPI's generic zone.
CPU_SENSOR_CHIPS = ("cpu_thermal", "cpu-thermal", "coretemp", "k10temp", "zenpower", "acpitz")
# /sys/class/thermal zone types that measure the CPU, best first.
CPU_ZONE_TYPES = ("cpu-thermal", "cpu_thermal", "x86_pkg_temp", "soc-thermal", "soc_thermal")

_ZONE_NAME = re.compile(r"thermal_zone(\d+)")
_SIZE_UNITS = ("B", "K", "M", "G", "T", "P")


def format_uptime(seconds: float) -> str:
    """Whole hours and minutes, rounded down: 87300 → "24h 15m", 259200 → "72h 0m"."""
    minutes = max(int(seconds), 0) // 60
    return f"{minutes // 60}h {minutes % 60}m"


def format_disk_free(free_bytes: int) -> str:
    """Like `df -h`, in powers of 1024, but rounded down so free space is never overstated:
    the largest unit in which the amount is at least 1, one decimal below 10 of it
    ("9.5G", "1.8T"), whole units from 10 ("45G", "512M"); bytes below 1 K as "900B"."""
    amount = max(int(free_bytes), 0)
    power = 0
    while power < len(_SIZE_UNITS) - 1 and amount >= 1024 ** (power + 1):
        power += 1
    unit, size = _SIZE_UNITS[power], 1024**power
    if power and amount < 10 * size:
        tenths = amount * 10 // size
        return f"{tenths // 10}.{tenths % 10}{unit}"
    return f"{amount // size}{unit}"


def round_half_up(value: float, places: int) -> float:
    """`value` rounded half-up on its shortest decimal form (48.25 → 48.3, where round() gives
    48.2), so the host numbers round like every other number of the API."""
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return float(exact)


def _usable(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sensor_temperature(readings: Mapping[str, Sequence[Any]]) -> float | None:
    """The CPU temperature from `psutil.sensors_temperatures()`'s result: the first reading of
    the best CPU chip (`CPU_SENSOR_CHIPS`), else the first reading of any chip, else None."""
    ranked = [chip for chip in CPU_SENSOR_CHIPS if chip in readings] + list(readings)
    for chip in ranked:
        for entry in readings[chip]:
            value = _usable(getattr(entry, "current", None))
            if value is not None:
                return value
    return None


def _zone_temperature(zone: Path) -> float | None:
    """One zone's `temp` file: millidegrees Celsius as an integer ("48312" → 48.312)."""
    try:
        text = (zone / "temp").read_text().strip()
    except OSError:  # absent, or a zone whose sensor cannot be read right now
        return None
    return int(text) / 1000 if re.fullmatch(r"-?\d+", text) else None


def _zone_type(zone: Path) -> str:
    try:
        return (zone / "type").read_text().strip()
    except OSError:
        return ""


def thermal_zone_temperature(root: Path = THERMAL_ROOT) -> float | None:
    """The CPU temperature from `root/thermal_zone*/temp`, as a Raspberry Pi exposes it:
    the zone whose `type` is the best CPU type (`CPU_ZONE_TYPES`), else the lowest-numbered
    zone with a readable temperature, else None (no such directory or no readable zone)."""
    try:
        names = [
            (int(m.group(1)), p) for p in root.iterdir() if (m := _ZONE_NAME.fullmatch(p.name))
        ]
    except OSError:
        return None
    zones = [path for _, path in sorted(names)]
    by_type = {}
    for zone in zones:
        by_type.setdefault(_zone_type(zone), zone)
    ranked = [by_type[kind] for kind in CPU_ZONE_TYPES if kind in by_type] + zones
    for zone in ranked:
        value = _zone_temperature(zone)
        if value is not None:
            return value
    return None


def cpu_temperature(
    readings: Mapping[str, Sequence[Any]], thermal_root: Path = THERMAL_ROOT
) -> float | None:
    """psutil's sensors first, then the thermal zones; °C at 1 dp, None without a sensor."""
    value = sensor_temperature(readings)
    if value is None:
        value = thermal_zone_temperature(thermal_root)
    return None if value is None else round_half_up(value, 1)


@dataclass(frozen=True)
class SystemStats:
    cpu_temp: float | None
    load_average: float
    memory_usage: float
    uptime: str
    disk_free: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "cpu_temp": self.cpu_temp,
            "load_average": self.load_average,
            "memory_usage": self.memory_usage,
            "uptime": self.uptime,
            "disk_free": self.disk_free,
        }


def _sensor_readings() -> Mapping[str, Sequence[Any]]:
    read = getattr(psutil, "sensors_temperatures", None)  # absent on macOS and Windows
    if read is None:
        return {}
    try:
        return read() or {}
    except OSError:
        return {}


def system_stats(data_dir: Path, *, thermal_root: Path = THERMAL_ROOT) -> SystemStats:
    """The live host's numbers; `data_dir` is J1MSKY_DATA_DIR."""
    return SystemStats(
        cpu_temp=cpu_temperature(_sensor_readings(), thermal_root),
        load_average=round_half_up(psutil.getloadavg()[0], 2),
        memory_usage=round_half_up(psutil.virtual_memory().percent, 1),
        uptime=format_uptime(time.time() - psutil.boot_time()),
        disk_free=format_disk_free(psutil.disk_usage(str(data_dir)).free),
    )
