"""The interface's languages: the Russian catalogue covers every marked string, and dates, numbers,
plurals and ids come out in the reader's language and the site's time zone."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reporting import i18n
from reporting.i18n import Words, catalogue
from storage.db import connect
from usecases import preferences
from usecases.settings import load_settings


def test_every_marked_string_has_a_russian_translation():
    missing = catalogue.untranslated("ru")
    assert missing == [], f"{len(missing)} string(s) without Russian (run `make messages`): {missing[:20]}"


def test_russian_plurals_take_the_form_of_the_count():
    # Babel gives the catalogue Russian's three forms; gettext picks by the count.
    plural_forms = i18n.translations("ru").plural  # type: ignore[attr-defined]
    assert [plural_forms(n) for n in (1, 2, 5, 11, 21, 22, 25)] == [0, 1, 2, 2, 0, 1, 2]


def test_ids_are_words_in_each_language():
    ru, en = Words("ru"), Words("en")
    assert ru.verdict("fail") == "не выполнено" and en.verdict("fail") == "failed"
    assert ru.flag("forbidden_phrase") == "Запрещённая фраза" and en.flag("forbidden_phrase") == "Forbidden phrase"
    assert ru.of("method", "closing_cues:semantic") == "слова завершения"
    assert ru.of("speaker", "customer") == "клиент"
    assert ru.of("flag", "site_specific_flag") == "Site specific flag"  # no words given: readable, not an id
    assert ru.verdict(None) == "–"
    assert ru.title("Приветствие / Greeting") == "Приветствие" and en.title("Приветствие / Greeting") == "Greeting"
    assert en.title("Greeting") == "Greeting"


def test_times_are_shown_in_the_site_zone_in_the_locale_format():
    stored = datetime(2026, 12, 7, 21, 30)  # naive = UTC, as the database keeps it
    assert Words("ru", "Europe/Moscow").when(stored) == "08.12.2026, 00:30"  # past midnight in Moscow
    assert Words("en", "UTC").when(stored) == "12/7/26, 9:30\u202fPM" or Words("en", "UTC").when(stored).startswith(
        "12/7/26, 9:30")
    assert Words("ru", "Europe/Moscow").day(stored) == "08.12.2026"
    assert Words("ru").day(date(2026, 1, 5)) == "05.01.2026"
    assert Words("ru").when(None) == "–"


def test_numbers_use_the_locale_separators():
    assert Words("ru").number(1234.567, 1) == "1\xa0234,6"
    assert Words("en").number(1234.567, 1) == "1,234.6"
    assert Words("ru").percent(0.125) == "12\xa0%" or Words("ru").percent(0.125) == "12%"
    assert Words("ru").number(None) == "–" and Words("ru").number(float("nan")) == "–"


def test_the_site_language_and_zone_are_settings(monkeypatch):
    monkeypatch.setenv("CALLQA_UI_LANGUAGE", "en")
    monkeypatch.setenv("CALLQA_UI_TIME_ZONE", "Asia/Yekaterinburg")
    interface = load_settings().interface
    assert (interface.language, interface.time_zone) == ("en", "Asia/Yekaterinburg")
    assert interface.words().locale == "en" and interface.words("ru").locale == "ru"
    monkeypatch.setenv("CALLQA_UI_TIME_ZONE", "Moscow/Kremlin")
    with pytest.raises(ValueError, match="Moscow/Kremlin"):
        load_settings().check()
    monkeypatch.setenv("CALLQA_UI_LANGUAGE", "de")
    with pytest.raises(ValueError, match="de"):
        load_settings()


def test_a_users_language_is_kept_in_the_database(tmp_path):
    db = tmp_path / "prefs.duckdb"
    with connect(db):
        pass
    assert preferences.language(str(db), "anna") is None  # the site's default applies
    assert preferences.set_language(str(db), "anna", "en") is True
    assert preferences.set_language(str(db), "anna", "ru") is True  # the last choice wins, one row
    assert preferences.language(str(db), "anna") == "ru"
    assert preferences.language(str(db), "boris") is None
    with pytest.raises(ValueError, match="xx"):
        preferences.set_language(str(db), "anna", "xx")
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM user_preferences").fetchone()[0] == 1


def test_a_verdicts_stored_reason_is_shown_in_the_readers_words():
    from reporting.i18n.reasons import reason_in_words

    ru, en = Words("ru"), Words("en")
    stored = "operator speech at 00:01-00:03 not transcribed; not said by the operator (name missing)"
    assert reason_in_words(stored, ru) == ("речь оператора на 00:01-00:03 не распознана; "
                                           "не сказано оператором (не хватает: name)")
    assert reason_in_words("said outside its window (first 30 s, first 2 turn(s))", ru) == \
        "сказано не в своё время (первые 30 с, первые 2 реплики)"
    assert reason_in_words("dismissive: не знаю; rudeness: я же сказал", ru) == \
        "Отказ помочь: не знаю; Грубость: я же сказал"
    assert reason_in_words("low recognition confidence (0.41)", en) == "speech recognised with low confidence (41%)"
    assert reason_in_words("a clause of a later version", ru) == "a clause of a later version"  # shown as stored
    assert reason_in_words(None, ru) == ""
