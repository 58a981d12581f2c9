"""Long runs show progress: the flow publishes calls done and audio after each stored batch, and
`callqa run --progress` draws them as a bar with an ETA."""

from __future__ import annotations

import shutil

from callqa.cli import main
from callqa.commands.common import ProgressBar
from flows.progress import Progress, listening, publish
from tests.conftest import write_bad_files


def test_the_flow_publishes_progress_after_each_batch(
    prefect_harness, samples_dir, settings, tmp_path, monkeypatch, capsys
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(samples_dir / "en_stereo_good.flac", inbox / "en_stereo_good.flac")
    write_bad_files(inbox / "bad")
    monkeypatch.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    monkeypatch.setenv("CALLQA_SETTLE_S", "0")
    seen: list[Progress] = []
    with listening(seen.append):
        code = main(
            ["run", "--inbox", str(inbox), "--db", str(tmp_path / "db.duckdb"), "--batch-size", "1", "--progress"]
        )
    assert code == 0
    assert seen[0].total_calls == 4 and seen[0].done_calls == 0
    assert [p.done_calls for p in seen] == [0, 1, 2, 3, 4]  # one batch at a time, each stored before it is counted
    assert seen[-1].done_bytes == seen[-1].total_bytes > 0
    assert 30 < seen[-1].audio_s < 50  # the one good call's audio; bad files add none
    err = capsys.readouterr().err
    assert "4/4 calls" in err and "audio 0.01 h" in err and "ETA 0:00" in err


def test_a_broken_listener_never_stops_the_run():
    calls: list[Progress] = []

    def broken(_: Progress) -> None:
        raise RuntimeError("terminal went away")

    with listening(broken), listening(calls.append):
        publish(Progress(2, 0, 0.0))
        publish(Progress(2, 1, 30.0))
    assert [p.done_calls for p in calls] == [0, 1]


def test_progress_bar_eta_follows_bytes(capsys):
    bar = ProgressBar()
    bar.update(Progress(10, 0, 0.0, 1000, 0))
    bar._started -= 60  # a minute has passed
    bar.update(Progress(10, 5, 1800.0, 1000, 250))
    bar.close()
    err = capsys.readouterr().err
    assert "5/10 calls" in err and "audio 0.50 h" in err and "ETA 3:00" in err
