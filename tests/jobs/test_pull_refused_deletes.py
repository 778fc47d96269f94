"""A delete head office made that a foreign key of the store refuses (error 1451: a store table
references the row through ON DELETE RESTRICT): the pull fails whole, the job is recorded as
failed with one line naming the row, the store's table and constraint, and the fix, and runs
whole once fixed and retried."""

from __future__ import annotations

import pytest

from centrale.core.config import load
from centrale.core.errors import JobError
from jobs.pull import pull_group
from jobs.queue import add_jobs
from sandbox.chain import Chain, Site
from tests.jobs.test_pull_races import job, runner_for, with_stock_column


def with_shelf_labels(chain: Chain) -> Site:
    """Lyon prints shelf labels for its articles: a store-local table whose foreign key
    refuses to lose its article (RESTRICT, MariaDB's default)."""
    lyon = with_stock_column(chain)
    lyon.sql(
        "CREATE TABLE shelf_labels (id INT PRIMARY KEY, article_id INT NOT NULL, "
        "CONSTRAINT fk_label_article FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE RESTRICT) "
        "ENGINE=InnoDB"
    )
    lyon.sql("INSERT INTO shelf_labels VALUES (10, 1), (20, 2)")
    return lyon


def test_a_delete_refused_by_a_store_foreign_key_fails_the_job_whole_with_the_fix(chain: Chain) -> None:
    """Head office deleted article 1, which a store shelf label references (RESTRICT): the job
    fails at head office with one line naming the row, the table, the constraint and the fix;
    nothing of the pull is written (nor the marker); fixed and retried, it runs whole."""
    lyon = with_shelf_labels(chain)
    chain.hq.sql("DELETE FROM articles WHERE id = 1")
    chain.hq.sql("UPDATE articles SET label = 'Pain de campagne' WHERE id = 3")  # in the same pull
    with chain.hq.connect(autocommit=False) as conn:
        job_id = add_jobs(conn, "pull-articles", [12])[0]
    before = lyon.sql("SELECT * FROM articles ORDER BY id")
    marker = lyon.sql("SELECT applied_at, what FROM centrale_marker")
    [outcome] = runner_for(lyon).tick()
    recorded = job(chain, job_id)
    assert outcome.status == recorded.status == "failed"
    message = recorded.message
    assert "\n" not in message
    for part in (
        "pull articles wrote nothing",
        "refused to delete 1 row of `articles`",
        "that head office deleted (`id` = 1)",
        "the store's table `shelf_labels`",
        "constraint `fk_label_article` (article_id -> `articles`) is ON DELETE RESTRICT",
        "(hint: delete or re-point those `shelf_labels` rows, or make constraint `fk_label_article` ON DELETE "
        "CASCADE or SET NULL",
        "`centrale jobs retry ID`",
    ):
        assert part in message
    assert lyon.sql("SELECT * FROM articles ORDER BY id") == before  # nothing written: not label 3 either
    assert lyon.sql("SELECT applied_at, what FROM centrale_marker") == marker  # the previous pull's
    # The operator re-points the store's label, then retries the job at head office.
    lyon.sql("UPDATE shelf_labels SET article_id = 3 WHERE id = 10")
    chain.centrale(chain.hq, "jobs", "retry", str(job_id))
    assert [o.status for o in runner_for(lyon).tick()] == ["done"]
    assert [r[0] for r in lyon.sql("SELECT id FROM articles ORDER BY id")] == [2, 3]
    assert lyon.sql("SELECT label FROM articles WHERE id = 3") == [("Pain de campagne",)]


def test_the_command_says_the_refused_delete_in_one_line_and_its_fix(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`centrale pull` at the store: exit code 8, an error line and a hint line, in English or French."""
    lyon = with_shelf_labels(chain)
    chain.hq.sql("DELETE FROM articles WHERE id IN (1, 2)")
    res = chain.centrale(lyon, "pull", "articles", check=False)
    assert res.returncode == 8 and "Traceback" not in res.stderr
    error, hint = res.stderr.strip().splitlines()
    assert error.startswith("error: pull articles wrote nothing: the store refused to delete 2 rows of `articles`")
    assert "(the first: `id` = 1)" in error and "`fk_label_article`" in error
    assert hint.startswith("hint: delete or re-point those `shelf_labels` rows")
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    fr = chain.centrale(lyon, "pull", "articles", check=False).stderr
    assert "le magasin a refusé de supprimer 2 lignes de `articles`" in fr and "ON DELETE CASCADE" in fr
    assert len(lyon.sql("SELECT id FROM articles")) == 3


def test_a_delete_refused_by_another_groups_table_names_the_pull_to_run_first(chain: Chain) -> None:
    """Head office removed an article and the keyboard key that showed it; the store pulls
    articles before keyboards: its keyboard key still references the article, and the hint is
    to pull keyboards first."""
    lyon = with_stock_column(chain)
    chain.hq.sql("INSERT INTO keyboards (id, name) VALUES (1, 'Main')")
    chain.hq.sql("INSERT INTO keyboard_keys (keyboard_id, position, article_id, caption) VALUES (1, 1, 3, 'Brioche')")
    cfg = load(lyon.config)
    pull_group(cfg, "keyboards")
    chain.hq.sql("DELETE FROM keyboard_keys WHERE article_id = 3")
    chain.hq.sql("DELETE FROM articles WHERE id = 3")
    with pytest.raises(JobError) as refused:
        pull_group(cfg, "articles")
    assert "`keyboard_keys`" in refused.value.message and "`fk_key_article`" in refused.value.message
    assert refused.value.hint is not None
    assert "run `centrale pull keyboards` first, then `centrale pull articles` again" in refused.value.hint
    pull_group(cfg, "keyboards")
    assert pull_group(cfg, "articles").tables[0].deleted == 1
    assert [r[0] for r in lyon.sql("SELECT id FROM articles ORDER BY id")] == [1, 2]


def test_a_refusal_deeper_in_the_stores_cascades_names_the_table_that_refused(chain: Chain) -> None:
    """The article's shelf tags go with it (CASCADE), but a tag that was printed may not (its
    print log refuses, RESTRICT): the error names the print log and the tags it references."""
    lyon = with_stock_column(chain)
    lyon.sql(
        "CREATE TABLE shelf_tags (id INT PRIMARY KEY, article_id INT NOT NULL, "
        "FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE) ENGINE=InnoDB"
    )
    lyon.sql(
        "CREATE TABLE tag_prints (id INT PRIMARY KEY, tag_id INT NOT NULL, "
        "CONSTRAINT fk_print_tag FOREIGN KEY (tag_id) REFERENCES shelf_tags (id)) ENGINE=InnoDB"
    )
    lyon.sql("INSERT INTO shelf_tags VALUES (7, 2)")
    lyon.sql("INSERT INTO tag_prints VALUES (1, 7)")
    chain.hq.sql("DELETE FROM articles WHERE id IN (2, 3)")
    with pytest.raises(JobError, match=r"deleted \(`id` = 2\): rows of the store's table `tag_prints`") as refused:
        pull_group(load(lyon.config), "articles")
    assert "`fk_print_tag` (tag_id -> `shelf_tags`) is ON DELETE RESTRICT" in refused.value.message
    assert "1 row of" in refused.value.message  # article 3 alone would go
    assert lyon.sql("SELECT COUNT(*) FROM articles") == [(3,)] and lyon.sql("SELECT id FROM shelf_tags") == [(7,)]


def test_a_refusal_names_the_stores_table_and_constraint_whatever_their_names(chain: Chain) -> None:
    """Long accented names, a space and a backtick: the server doubles backticks in its words,
    the message gives the names as the store's schema spells them."""
    lyon = with_stock_column(chain)
    table, constraint = "étiquettes `rayon` " + "é" * 40, "contrainte " + "é" * 50
    quoted = {name: "`" + name.replace("`", "``") + "`" for name in (table, constraint)}
    lyon.sql(
        f"CREATE TABLE {quoted[table]} (id INT PRIMARY KEY, article_id INT NOT NULL, CONSTRAINT {quoted[constraint]} "
        "FOREIGN KEY (article_id) REFERENCES articles (id)) ENGINE=InnoDB"
    )
    lyon.sql(f"INSERT INTO {quoted[table]} VALUES (1, 2)")
    chain.hq.sql("DELETE FROM articles WHERE id = 2")
    with pytest.raises(JobError) as refused:
        pull_group(load(lyon.config), "articles")
    assert f"rows of the store's table `{table}` still reference it" in refused.value.message
    assert f"constraint `{constraint}` (article_id -> `articles`) is ON DELETE RESTRICT" in refused.value.message
