"""What `lodestone-topics --replication-factor N` asks of a cluster (unit: no broker)."""

from __future__ import annotations

import pytest

from lodestone_common.admin import main, topic_config
from lodestone_common.topics import TOPICS


def test_copies_on_several_brokers_need_two_in_sync_for_a_write() -> None:
    spec = TOPICS[1]
    assert topic_config(spec, 1) == spec.config  # one broker: as declared
    assert topic_config(spec, 3) == {**spec.config, "min.insync.replicas": "2"}
    assert topic_config(spec, 2)["min.insync.replicas"] == "2"
    assert "min.insync.replicas" not in spec.config  # the declaration is left alone


def test_a_replication_factor_under_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--replication-factor", "0"])
    assert exit.value.code == 2
    assert "--replication-factor must be at least 1" in capsys.readouterr().err
