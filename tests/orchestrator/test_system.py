"""`orchestrator.system`: the `/system` numbers (semantics §9).

The formatting and sensor choice are pure; the thermal zones are real files in a temporary
directory laid out like `/sys/class/thermal` on a Raspberry Pi; the last tests read this host.
"""

import re
import time
from collections import namedtuple

import psutil
import pytest

from orchestrator import system as s

# The shape of psutil.sensors_temperatures()'s entries.
Reading = namedtuple("Reading", "label current high critical")
K, M, G, T = 1024, 1024**2, 1024**3, 1024**4


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0h 0m"),
        (59.9, "0h 0m"),
        (60, "0h 1m"),
        (3599, "0h 59m"),
        (3600, "1h 0m"),
        (87_300, "24h 15m"),  # the reference's example
        (87_359.9, "24h 15m"),
        (259_200, "72h 0m"),  # hours keep counting past a day
        (-5, "0h 0m"),
    ],
)
def test_format_uptime(seconds, text):
    assert s.format_uptime(seconds) == text


@pytest.mark.parametrize(
    ("free", "text"),
    [
        (0, "0B"),
        (900, "900B"),
        (1023, "1023B"),
        (K, "1.0K"),
        (10 * K, "10K"),
        (512 * M, "512M"),
        (45 * G + 900 * M, "45G"),  # the reference's example; never rounded up
        (int(9.5 * G), "9.5G"),
        (10 * G - 1, "9.9G"),
        (10 * G, "10G"),
        (1023 * G, "1023G"),
        (int(1.85 * T), "1.8T"),
        (2 * T - 1, "1.9T"),
        (-1, "0B"),
    ],
)
def test_format_disk_free(free, text):
    assert s.format_disk_free(free) == text


@pytest.mark.parametrize(
    ("value", "places", "rounded"),
    [(48.25, 1, 48.3), (48.312, 1, 48.3), (48.35, 1, 48.4), (0.125, 2, 0.13), (65.5, 1, 65.5)],
)
def test_round_half_up(value, places, rounded):
    assert s.round_half_up(value, places) == rounded


@pytest.mark.parametrize(
    ("readings", "celsius"),
    [
        ({}, None),
        ({"cpu_thermal": [Reading("", 48.312, None, None)]}, 48.312),  # Raspberry Pi
        (
            {
                "acpitz": [Reading("", 27.8, None, None)],
                "coretemp": [
                    Reading("Package id 0", 52.0, 80, 100),
                    Reading("Core 0", 50, 80, 100),
                ],
            },
            52.0,
        ),
        ({"k10temp": [Reading("Tctl", 61.25, None, None)]}, 61.25),
        ({"nvme": [Reading("Composite", 38.85, 80, 90)]}, 38.85),  # no CPU chip: any sensor
        (
            {"cpu_thermal": [], "nvme": [Reading("Composite", 40.0, None, None)]},
            40.0,
        ),
        ({"cpu_thermal": [Reading("", float("nan"), None, None)]}, None),
        ({"cpu_thermal": [Reading("", None, None, None)]}, None),
    ],
)
def test_sensor_temperature(readings, celsius):
    assert s.sensor_temperature(readings) == celsius


def zone(root, number, kind, temp):
    folder = root / f"thermal_zone{number}"
    folder.mkdir(parents=True)
    if kind is not None:
        (folder / "type").write_text(kind + "\n")
    if temp is not None:
        (folder / "temp").write_text(temp + "\n")
    return folder


def test_thermal_zone_of_a_raspberry_pi(tmp_path):
    zone(tmp_path, 0, "cpu-thermal", "48312")
    (tmp_path / "cooling_device0").mkdir()
    assert s.thermal_zone_temperature(tmp_path) == 48.312
    assert s.cpu_temperature({}, tmp_path) == 48.3


def test_thermal_zone_prefers_the_cpu_zone(tmp_path):
    zone(tmp_path, 0, "acpitz", "27800")
    zone(tmp_path, 1, "x86_pkg_temp", "52500")
    assert s.thermal_zone_temperature(tmp_path) == 52.5


def test_thermal_zone_without_a_cpu_type_takes_the_lowest_number(tmp_path):
    zone(tmp_path, 10, "acpitz", "30000")
    zone(tmp_path, 2, "pch_skylake", "41000")
    assert s.thermal_zone_temperature(tmp_path) == 41.0


def test_thermal_zone_skips_unreadable_zones(tmp_path):
    zone(tmp_path, 0, "cpu-thermal", None)  # no temp file
    zone(tmp_path, 1, "soc_thermal", "n/a")
    zone(tmp_path, 2, None, "-5000")
    assert s.thermal_zone_temperature(tmp_path) == -5.0


@pytest.mark.parametrize("layout", ["missing", "empty", "unreadable"])
def test_no_sensor_is_null(tmp_path, layout):
    root = tmp_path / "thermal"
    if layout != "missing":
        root.mkdir()
    if layout == "unreadable":
        zone(root, 0, "cpu-thermal", "")
    assert s.thermal_zone_temperature(root) is None
    assert s.cpu_temperature({}, root) is None


def test_psutil_sensors_come_before_thermal_zones(tmp_path):
    zone(tmp_path, 0, "cpu-thermal", "70000")
    readings = {"coretemp": [Reading("Package id 0", 55.04, None, None)]}
    assert s.cpu_temperature(readings, tmp_path) == 55.0


# --- the live host -------------------------------------------------------------------------------


def test_system_stats_of_this_host(tmp_path):
    thermal = tmp_path / "thermal"
    zone(thermal, 0, "cpu-thermal", "65512")
    before = time.time() - psutil.boot_time()
    stats = s.system_stats(tmp_path, thermal_root=thermal)
    after = time.time() - psutil.boot_time()

    assert list(stats.as_dict()) == [
        "cpu_temp",
        "load_average",
        "memory_usage",
        "uptime",
        "disk_free",
    ]
    if s._sensor_readings():
        assert isinstance(stats.cpu_temp, float)
    else:  # no psutil sensor here: the thermal zones are read
        assert stats.cpu_temp == 65.5
    assert stats.uptime in {s.format_uptime(before), s.format_uptime(after)}
    assert re.fullmatch(r"\d+h \d{1,2}m", stats.uptime)
    assert re.fullmatch(r"\d+(\.\d)?[BKMGTP]", stats.disk_free)
    assert 0 <= stats.memory_usage <= 100
    assert stats.load_average >= 0
    assert stats.load_average == round(stats.load_average, 2)


def test_system_stats_disk_and_null_temperature(tmp_path):
    before = psutil.disk_usage(str(tmp_path)).free
    stats = s.system_stats(tmp_path, thermal_root=tmp_path / "no-thermal-zones")
    after = psutil.disk_usage(str(tmp_path)).free
    assert stats.disk_free in {s.format_disk_free(before), s.format_disk_free(after)}
    if not s._sensor_readings():  # a host without any sensor shows null
        assert stats.cpu_temp is None
        assert stats.as_dict()["cpu_temp"] is None
