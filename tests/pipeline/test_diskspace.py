"""Free space on the data dir: the floor under uploads, and what /metrics can report."""

from __future__ import annotations

import shutil

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sohoa.core.errors import InsufficientStorage
from sohoa.core.settings import Settings
from sohoa.pipeline.diskspace import check_free_space, disk_metrics_text, free_mb, has_free_space


def test_the_floor_refuses_below_it_and_zero_turns_it_off(settings: Settings) -> None:
    free = shutil.disk_usage(settings.data_dir.parent).free // 2**20
    assert abs(free_mb(settings) - free) < 1000  # the data dir need not exist yet
    settings.min_free_mb = free + 10_000
    assert not has_free_space(settings)
    with pytest.raises(InsufficientStorage) as refused:
        check_free_space(settings)
    assert refused.value.http_status == 507 and refused.value.code == "insufficient_storage"
    settings.min_free_mb = 0
    assert has_free_space(settings)
    check_free_space(settings)


def test_free_space_as_prometheus_gauges(settings: Settings) -> None:
    settings.min_free_mb = 500
    families = {f.name: f for f in text_string_to_metric_families(disk_metrics_text(settings).decode())}
    assert families["sohoa_data_dir_min_free_bytes"].samples[0].value == 500 * 2**20
    assert families["sohoa_data_dir_free_bytes"].samples[0].value > 0
