//! One test per T-SQL behaviour, each checked against what SQL Server
//! documents for it, through tiberius.

mod sim_common;

use mssql_sim::Sim;
use sim_common::{connect, error_number, row, run, Conn};

const SCHEMA: &str = "
CREATE TABLE dbo.T (ID int IDENTITY(1,1) NOT NULL PRIMARY KEY, Name nvarchar(10) NOT NULL, N int NULL CHECK (N >= 0), At datetime2(3) NULL);
GO
CREATE UNIQUE INDEX UX_T_Name ON dbo.T (Name);
GO
";

async fn sim() -> (Sim, Conn) {
    let sim = Sim::builder().script("schema.sql", SCHEMA).start().unwrap();
    let c = connect(&sim).await;
    (sim, c)
}

#[tokio::test]
async fn integer_division_truncates_and_plus_concatenates() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "SELECT 7 / 2 AS a, -7 / 2 AS b, N'ab' + N'cd' AS c, 1 + 2 AS d, 7 % 3 AS e",
    )
    .await;
    assert_eq!(r.get::<i32, _>("a"), Some(3));
    assert_eq!(r.get::<i32, _>("b"), Some(-3));
    assert_eq!(r.get::<&str, _>("c"), Some("abcd"));
    assert_eq!(r.get::<i32, _>("d"), Some(3));
    assert_eq!(r.get::<i32, _>("e"), Some(1));
}

#[tokio::test]
async fn comparisons_ignore_case_and_trailing_spaces() {
    let (_s, mut c) = sim().await;
    let r = row(&mut c, "SELECT CASE WHEN N'Alice' = N'ALICE  ' THEN 1 ELSE 0 END AS eq, CASE WHEN N'a' < N'B' THEN 1 ELSE 0 END AS lt, LEN(N'ab  ') AS len").await;
    assert_eq!(r.get::<i32, _>("eq"), Some(1));
    assert_eq!(r.get::<i32, _>("lt"), Some(1));
    assert_eq!(r.get::<i32, _>("len"), Some(2));
}

#[tokio::test]
async fn unique_index_is_case_insensitive_2601_and_constraints_547_515() {
    let (_s, mut c) = sim().await;
    c.simple_query("INSERT INTO dbo.T (Name, N) VALUES (N'x', 1)")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (Name, N) VALUES (N'X', 1)").await,
        2601
    );
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (Name, N) VALUES (N'y', -1)").await,
        547
    );
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (N) VALUES (1)").await,
        515
    );
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (Name) VALUES (N'01234567890')").await,
        2628
    );
    let r = row(&mut c, "SELECT COUNT(*) AS n FROM dbo.T").await;
    assert_eq!(
        r.get::<i32, _>("n"),
        Some(1),
        "failed statements change nothing"
    );
}

#[tokio::test]
async fn names_that_do_not_exist_are_207_and_208_and_syntax_is_102() {
    let (_s, mut c) = sim().await;
    assert_eq!(error_number(&mut c, "SELECT Nope FROM dbo.T").await, 207);
    assert_eq!(error_number(&mut c, "SELECT 1 FROM dbo.Missing").await, 208);
    assert_eq!(error_number(&mut c, "SELEC 1").await, 102);
    assert_eq!(error_number(&mut c, "SELECT NOSUCHFUNC(1)").await, 195);
}

#[tokio::test]
async fn table_value_constructors_are_sources_with_unioned_types() {
    let (_s, mut c) = sim().await;
    // Columns take the type all rows fit in (NULLs aside), as UNION ALL does; the
    // nvarchar column compares as nvarchar (case- and trailing-space-insensitive).
    let r = row(
        &mut c,
        "SELECT COUNT(*) AS n, SUM(v.a) AS total, MAX(v.b) AS greatest, \
         SUM(CASE WHEN v.b = N'YY ' THEN 1 ELSE 0 END) AS matches, COUNT(v.c) AS c_values \
         FROM (VALUES (1, N'x', NULL), (2, N'yy', N'z'), (3, N'', NULL)) AS v (a, b, c)",
    )
    .await;
    assert_eq!(r.get::<i32, _>("n"), Some(3));
    assert_eq!(r.get::<i32, _>("total"), Some(6));
    assert_eq!(r.get::<&str, _>("greatest"), Some("yy"));
    assert_eq!(r.get::<i32, _>("matches"), Some(1));
    assert_eq!(r.get::<i32, _>("c_values"), Some(1));
    // As the source of an INSERT ... SELECT, joined to a table and using a variable.
    run(
        &mut c,
        "DECLARE @base int = 10; \
         INSERT INTO dbo.T (Name, N) SELECT v.Name, v.N + @base FROM (VALUES (N'p', 1), (N'q', 2)) AS v (Name, N)",
    )
    .await;
    let r = row(
        &mut c,
        "SELECT SUM(t.N) AS s FROM dbo.T t INNER JOIN (VALUES (N'P'), (N'Q')) AS k (Name) ON k.Name = t.Name",
    )
    .await;
    assert_eq!(r.get::<i32, _>("s"), Some(23));
    // A cell that is NULL without being the literal NULL; decimals of different scales.
    let r = row(
        &mut c,
        "DECLARE @none int; \
         SELECT COUNT(*) AS n, COUNT(v.a) AS a_values, SUM(v.d) AS d_total \
         FROM (VALUES (@none, 2.5), (2, 123.45)) AS v (a, d)",
    )
    .await;
    assert_eq!(r.get::<i32, _>("n"), Some(2));
    assert_eq!(r.get::<i32, _>("a_values"), Some(1));
    assert_eq!(
        r.get::<tiberius::numeric::Numeric, _>("d_total")
            .map(|d| d.to_string()),
        Some("125.95".to_string())
    );
    // SQL Server's errors for the shapes it rejects.
    for (sql, number) in [
        ("SELECT * FROM (VALUES (1, 2)) AS v (a, A)", 8156),
        ("SELECT * FROM (VALUES (1, 2), (3)) AS v (a, b)", 10709),
        ("SELECT * FROM (VALUES (1, 2)) AS v (a)", 8158),
        ("SELECT * FROM (VALUES (1)) AS v (a, b)", 8159),
        ("SELECT * FROM (VALUES (1, 2)) AS v", 8155),
    ] {
        assert_eq!(error_number(&mut c, sql).await, number, "{sql}");
    }
}

#[tokio::test]
async fn unsupported_constructs_are_refused_by_name() {
    let (_s, mut c) = sim().await;
    for (sql, word) in [
        (
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "common table expressions",
        ),
        (
            "MERGE dbo.T AS t USING dbo.T AS s ON t.ID = s.ID WHEN MATCHED THEN DELETE;",
            "MERGE",
        ),
        ("SELECT 1 AS a UNION SELECT 2", "UNION"),
        (
            "SELECT ROW_NUMBER() OVER (ORDER BY ID) FROM dbo.T",
            "window functions",
        ),
        ("CREATE TABLE #tmp (a int)", "temporary tables"),
        (
            "SELECT v.a FROM (VALUES (1), (N'x')) AS v (a)",
            "mixes int and nvarchar(1)",
        ),
        (
            "SELECT (SELECT MAX(v.x) FROM (VALUES (t.ID), (t.N)) AS v (x)) AS m FROM dbo.T t",
            "name an enclosing query's columns",
        ),
    ] {
        let r = c.simple_query(sql).await;
        let err = match r {
            Ok(s) => s.into_results().await.err(),
            Err(e) => Some(e),
        };
        match err {
            Some(tiberius::error::Error::Server(e)) => {
                assert_eq!(e.code(), 40000, "{sql}");
                assert!(e.message().contains(word), "{sql}: {}", e.message());
            }
            other => panic!("{sql} was not refused: {other:?}"),
        }
    }
}

#[tokio::test]
async fn try_catch_sees_error_number_and_message() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "DECLARE @n int, @m nvarchar(4000), @x int;
         BEGIN TRY SET @x = 1 / 0; END TRY
         BEGIN CATCH SELECT @n = ERROR_NUMBER(), @m = ERROR_MESSAGE(); END CATCH
         SELECT @n AS n, @m AS m;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("n"), Some(8134));
    assert_eq!(
        r.get::<&str, _>("m"),
        Some("Divide by zero error encountered.")
    );
}

#[tokio::test]
async fn trancount_nests_and_rollback_undoes_everything() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "BEGIN TRAN; BEGIN TRAN; INSERT INTO dbo.T (Name) VALUES (N'a');
         DECLARE @t int = @@TRANCOUNT; COMMIT; DECLARE @u int = @@TRANCOUNT; ROLLBACK;
         SELECT @t AS t, @u AS u, @@TRANCOUNT AS v, (SELECT COUNT(*) FROM dbo.T) AS n;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("t"), Some(2));
    assert_eq!(r.get::<i32, _>("u"), Some(1));
    assert_eq!(r.get::<i32, _>("v"), Some(0));
    assert_eq!(r.get::<i32, _>("n"), Some(0));
}

#[tokio::test]
async fn xact_abort_rolls_back_and_stops_the_batch() {
    let (_s, mut c) = sim().await;
    let n = error_number(
        &mut c,
        "SET XACT_ABORT ON; BEGIN TRAN; INSERT INTO dbo.T (Name) VALUES (N'a'); INSERT INTO dbo.T (Name) VALUES (N'A'); INSERT INTO dbo.T (Name) VALUES (N'b'); COMMIT;",
    )
    .await;
    assert_eq!(n, 2601);
    let r = row(&mut c, "SELECT COUNT(*) AS n, @@TRANCOUNT AS t FROM dbo.T").await;
    assert_eq!(r.get::<i32, _>("n"), Some(0));
    assert_eq!(r.get::<i32, _>("t"), Some(0));
}

#[tokio::test]
async fn statement_errors_let_the_batch_go_on_without_xact_abort() {
    let (_s, mut c) = sim().await;
    let n = error_number(
        &mut c,
        "INSERT INTO dbo.T (Name) VALUES (N'a'); INSERT INTO dbo.T (Name) VALUES (N'A'); INSERT INTO dbo.T (Name) VALUES (N'b');",
    )
    .await;
    assert_eq!(n, 2601);
    let r = row(&mut c, "SELECT COUNT(*) AS n FROM dbo.T").await;
    assert_eq!(
        r.get::<i32, _>("n"),
        Some(2),
        "the statement after the duplicate still ran"
    );
}

#[tokio::test]
async fn nocount_controls_done_counts() {
    let (_s, mut c) = sim().await;
    let counted = c
        .execute("INSERT INTO dbo.T (Name) VALUES (N'a'), (N'b')", &[])
        .await
        .unwrap();
    assert_eq!(counted.total(), 2);
    let silent = c
        .execute(
            "SET NOCOUNT ON; INSERT INTO dbo.T (Name) VALUES (N'c'), (N'd')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(silent.total(), 0);
}

#[tokio::test]
async fn top_with_offset_is_10741_and_paging_works() {
    let (_s, mut c) = sim().await;
    c.simple_query("INSERT INTO dbo.T (Name) VALUES (N'a'), (N'b'), (N'c'), (N'd')")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(
        error_number(
            &mut c,
            "SELECT TOP (1) Name FROM dbo.T ORDER BY Name OFFSET 1 ROWS"
        )
        .await,
        10741
    );
    let rows = c
        .query(
            "SELECT Name FROM dbo.T ORDER BY Name OFFSET @P1 ROWS FETCH NEXT @P2 ROWS ONLY",
            &[&1i32, &2i32],
        )
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    let names: Vec<&str> = rows.iter().filter_map(|r| r.get::<&str, _>(0)).collect();
    assert_eq!(names, ["b", "c"]);
    assert_eq!(
        error_number(
            &mut c,
            "SELECT Name FROM dbo.T ORDER BY Name OFFSET -1 ROWS"
        )
        .await,
        10742
    );
}

#[tokio::test]
async fn dateadd_datediff_and_scope_identity() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "INSERT INTO dbo.T (Name, At) VALUES (N'a', '2024-01-31 10:00:00');
         DECLARE @id int = SCOPE_IDENTITY();
         SELECT @id AS id, DATEADD(month, 1, At) AS next, DATEDIFF(day, '2024-01-01', At) AS days,
                DATEDIFF(year, '2023-12-31', '2024-01-01') AS years, CAST(N'42' AS int) AS n
         FROM dbo.T WHERE ID = @id;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("id"), Some(1));
    let next: chrono::NaiveDateTime = r.get("next").unwrap();
    assert_eq!(next.to_string(), "2024-02-29 10:00:00");
    assert_eq!(r.get::<i32, _>("days"), Some(30));
    assert_eq!(r.get::<i32, _>("years"), Some(1));
    assert_eq!(r.get::<i32, _>("n"), Some(42));
    assert_eq!(
        error_number(&mut c, "SELECT CAST(N'abc' AS int)").await,
        245
    );
}

#[tokio::test]
async fn output_inserted_returns_the_new_row() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "INSERT INTO dbo.T (Name) OUTPUT inserted.ID, inserted.Name VALUES (N'z')",
    )
    .await;
    assert_eq!(r.get::<i32, _>("ID"), Some(1));
    assert_eq!(r.get::<&str, _>("Name"), Some("z"));
}

#[tokio::test]
async fn a_failing_script_names_file_and_line() {
    let Err(e) = Sim::builder()
        .script("bad.sql", "SELECT 1;\nGO\n\nSELECT * FROM dbo.Nope;\n")
        .start()
    else {
        panic!("a failing script must stop start-up");
    };
    let text = e.to_string();
    assert!(text.contains("bad.sql:4"), "{text}");
    assert!(text.contains("208"), "{text}");
}

#[tokio::test]
async fn a_database_file_reopens_with_its_data() {
    let dir = std::env::temp_dir().join(format!("mssql-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reopen.db");
    let _ = std::fs::remove_file(&path);
    {
        let sim = Sim::builder()
            .database_file(&path)
            .script("schema.sql", SCHEMA)
            .start()
            .unwrap();
        let mut c = connect(&sim).await;
        c.simple_query("INSERT INTO dbo.T (Name) VALUES (N'kept')")
            .await
            .unwrap()
            .into_results()
            .await
            .unwrap();
    }
    let sim = Sim::builder()
        .database_file(&path)
        .script("schema.sql", SCHEMA)
        .start()
        .unwrap();
    let mut c = connect(&sim).await;
    let r = row(&mut c, "SELECT Name FROM dbo.T WHERE Name = N'KEPT'").await;
    assert_eq!(r.get::<&str, _>(0), Some("kept"));
    drop(c);
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn repeated_statements_see_new_values_types_and_procedure_bodies() {
    let (_s, mut c) = sim().await;
    let sql = "SELECT @P1 + @P1 AS v";
    let twice = |r: tiberius::Row| r.get::<i32, _>(0);
    let a = c
        .query(sql, &[&1i32])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    let b = c
        .query(sql, &[&20i32])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((twice(a), twice(b)), (Some(2), Some(40)));
    // Same text, another parameter type: + now concatenates.
    let s = c
        .query(sql, &[&"ab"])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.get::<&str, _>(0), Some("abab"));
    for body in ["RETURN 1", "RETURN 2"] {
        c.simple_query("DROP PROCEDURE IF EXISTS dbo.P")
            .await
            .unwrap()
            .into_results()
            .await
            .unwrap();
        c.simple_query(format!("CREATE PROCEDURE dbo.P AS BEGIN {body}; END"))
            .await
            .unwrap()
            .into_results()
            .await
            .unwrap();
        let r = row(
            &mut c,
            "DECLARE @rc int; EXEC @rc = dbo.P; SELECT @rc AS rc;",
        )
        .await;
        assert_eq!(
            r.get::<i32, _>(0),
            Some(if body.ends_with('1') { 1 } else { 2 })
        );
    }
}

#[tokio::test]
async fn at_at_error_is_reset_by_the_next_good_statement() {
    let (_s, mut c) = sim().await;
    let n = error_number(
        &mut c,
        "INSERT INTO dbo.T (N) VALUES (1);
         INSERT INTO dbo.T (Name, N) VALUES (N'first', @@ERROR);
         INSERT INTO dbo.T (Name, N) VALUES (N'second', @@ERROR);",
    )
    .await;
    assert_eq!(n, 515);
    let r = row(&mut c, "SELECT (SELECT N FROM dbo.T WHERE Name = N'first') AS a, (SELECT N FROM dbo.T WHERE Name = N'second') AS b").await;
    assert_eq!(r.get::<i32, _>("a"), Some(515));
    assert_eq!(r.get::<i32, _>("b"), Some(0));
}

#[tokio::test]
async fn raiserror_ends_only_its_statement_even_under_xact_abort() {
    let (_s, mut c) = sim().await;
    let n = error_number(
        &mut c,
        "SET XACT_ABORT ON; BEGIN TRAN; INSERT INTO dbo.T (Name) VALUES (N'a');
         RAISERROR(N'warned %s', 16, 1, N'x'); INSERT INTO dbo.T (Name) VALUES (N'b'); COMMIT;",
    )
    .await;
    assert_eq!(n, 50000);
    let r = row(&mut c, "SELECT COUNT(*) AS n, @@TRANCOUNT AS t FROM dbo.T").await;
    assert_eq!(r.get::<i32, _>("n"), Some(2));
    assert_eq!(r.get::<i32, _>("t"), Some(0));
}

#[tokio::test]
async fn a_caught_error_under_xact_abort_dooms_the_transaction() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "SET XACT_ABORT ON; DECLARE @state int, @commit int;
         BEGIN TRAN;
         BEGIN TRY INSERT INTO dbo.T (N) VALUES (1); END TRY
         BEGIN CATCH SET @state = XACT_STATE(); END CATCH
         BEGIN TRY COMMIT; END TRY BEGIN CATCH SET @commit = ERROR_NUMBER(); END CATCH
         ROLLBACK;
         SELECT @state AS s, @commit AS c, XACT_STATE() AS after;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("s"), Some(-1));
    assert_eq!(r.get::<i32, _>("c"), Some(3930));
    assert_eq!(
        r.get::<i16, _>("after"),
        Some(0),
        "XACT_STATE() is smallint"
    );
}

#[tokio::test]
async fn procedure_calls_are_checked_like_sql_server_does() {
    let (_s, mut c) = sim().await;
    c.simple_query(
        "CREATE PROCEDURE dbo.P @a int, @b int = 0 OUTPUT AS BEGIN SET @b = @a + 1; END",
    )
    .await
    .unwrap()
    .into_results()
    .await
    .unwrap();
    assert_eq!(
        error_number(&mut c, "DECLARE @x int; EXEC dbo.P @a = @x OUTPUT;").await,
        8162
    );
    assert_eq!(
        error_number(&mut c, "EXEC dbo.P @a = 1, @a = 2;").await,
        8143
    );
    assert_eq!(error_number(&mut c, "EXEC dbo.P @b = 1;").await, 201);
    assert_eq!(error_number(&mut c, "EXEC dbo.P @zz = 1;").await, 8145);
    assert_eq!(error_number(&mut c, "EXEC dbo.Nope;").await, 2812);
    let r = row(
        &mut c,
        "DECLARE @out int; EXEC dbo.P @a = 41, @b = @out OUTPUT; SELECT @out AS o;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("o"), Some(42));
}

#[tokio::test]
async fn like_ignores_case_in_any_script_and_knows_classes() {
    let (_s, mut c) = sim().await;
    c.simple_query("INSERT INTO dbo.T (Name) VALUES (N'Ärger'), (N'beta'), (N'Cello')")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    let rows = c
        .simple_query("SELECT Name FROM dbo.T WHERE Name LIKE N'ä%' OR Name LIKE N'[a-b]ET_' ORDER BY UPPER(Name)")
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    let names: Vec<&str> = rows.iter().filter_map(|r| r.get::<&str, _>(0)).collect();
    assert_eq!(names, ["beta", "Ärger"]);
}

#[tokio::test]
async fn what_sqlite_would_answer_differently_is_refused() {
    let (_s, mut c) = sim().await;
    assert_eq!(
        error_number(&mut c, "CREATE TABLE dbo.U (A int NULL UNIQUE)").await,
        40000
    );
    assert_eq!(
        error_number(&mut c, "CREATE UNIQUE INDEX UX_T_N ON dbo.T (N)").await,
        40000
    );
    assert_eq!(
        error_number(&mut c, "CREATE TABLE dbo.D (A decimal(10, 2) NOT NULL)").await,
        40000
    );
    // A filter that keeps NULLs out makes the unique index SQL Server's.
    c.simple_query("CREATE UNIQUE INDEX UX_T_N ON dbo.T (N) WHERE N IS NOT NULL")
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(
        error_number(
            &mut c,
            "INSERT INTO dbo.T (Name, N) VALUES (N'a', 1), (N'b', 1)"
        )
        .await,
        2601
    );
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (Name, N) VALUES (N'a')").await,
        109
    );
    assert_eq!(
        error_number(&mut c, "INSERT INTO dbo.T (Name) VALUES (N'a', 1)").await,
        110
    );
    assert_eq!(
        error_number(&mut c, "SELECT TOP (-1) Name FROM dbo.T").await,
        1014
    );
}

#[tokio::test]
async fn functions_answer_what_sql_server_documents() {
    let (_s, mut c) = sim().await;
    let r = row(
        &mut c,
        "DECLARE @d datetime2(3) = '2026-01-05 07:08:09.1234567', @t datetime = '2026-01-05 17:08:09.123';
         SELECT ISNULL(NULL, 5) AS isnull_, COALESCE(NULL, NULL, N'x') AS coalesce_, LTRIM(N'  a ') AS ltrim_,
                RTRIM(N' a  ') AS rtrim_, UPPER(N'straße') AS upper_, LOWER(N'ÄB') AS lower_,
                CAST(@d AS nvarchar(30)) AS d2, CONVERT(nvarchar(30), @d, 120) AS d120,
                CONVERT(nvarchar(30), @d, 126) AS d126, CAST(@t AS nvarchar(30)) AS dt0,
                CONVERT(nvarchar(30), @t, 121) AS dt121, CONVERT(nvarchar(10), @d, 120) AS cut,
                CAST(CAST('2026-02-03' AS date) AS nvarchar(20)) AS date_, LEN(N'') AS len0",
    )
    .await;
    assert_eq!(r.get::<i32, _>("isnull_"), Some(5));
    assert_eq!(r.get::<&str, _>("coalesce_"), Some("x"));
    assert_eq!(r.get::<&str, _>("ltrim_"), Some("a "));
    assert_eq!(r.get::<&str, _>("rtrim_"), Some(" a"));
    assert_eq!(
        r.get::<&str, _>("upper_"),
        Some("STRAßE"),
        "SQL Server keeps ß"
    );
    assert_eq!(r.get::<&str, _>("lower_"), Some("äb"));
    assert_eq!(r.get::<&str, _>("d2"), Some("2026-01-05 07:08:09.123"));
    assert_eq!(r.get::<&str, _>("d120"), Some("2026-01-05 07:08:09"));
    assert_eq!(r.get::<&str, _>("d126"), Some("2026-01-05T07:08:09.123"));
    assert_eq!(r.get::<&str, _>("dt0"), Some("Jan  5 2026  5:08PM"));
    assert_eq!(r.get::<&str, _>("dt121"), Some("2026-01-05 17:08:09.123"));
    assert_eq!(r.get::<&str, _>("cut"), Some("2026-01-05"));
    assert_eq!(r.get::<&str, _>("date_"), Some("2026-02-03"));
    assert_eq!(r.get::<i32, _>("len0"), Some(0));
}

#[tokio::test]
async fn integer_overflow_is_8115_not_a_wider_number() {
    let (_s, mut c) = sim().await;
    assert_eq!(error_number(&mut c, "SELECT 2147483647 + 1").await, 8115);
    assert_eq!(
        error_number(&mut c, "DECLARE @i int = 65536; SELECT @i * @i").await,
        8115
    );
    assert_eq!(
        error_number(
            &mut c,
            "DECLARE @b bigint = 9223372036854775807; SELECT @b + 1"
        )
        .await,
        8115
    );
    let r = row(
        &mut c,
        "DECLARE @b bigint = 2147483647; SELECT @b + 1 AS b, -2147483647 - 1 AS m",
    )
    .await;
    assert_eq!(r.get::<i64, _>("b"), Some(2_147_483_648));
    assert_eq!(r.get::<i32, _>("m"), Some(i32::MIN));
}

#[tokio::test]
async fn an_unresolved_name_escapes_its_own_try_but_not_the_callers() {
    let (_s, mut c) = sim().await;
    // Same level: SQL Server's recompile error is not caught.
    assert_eq!(
        error_number(
            &mut c,
            "BEGIN TRY SELECT Nope FROM dbo.T; END TRY BEGIN CATCH SELECT 1 AS caught; END CATCH"
        )
        .await,
        207
    );
    // One level down, in a procedure, it is an ordinary error the caller's TRY catches.
    run(
        &mut c,
        "CREATE PROCEDURE dbo.ReadsMissing AS BEGIN SELECT * FROM dbo.Missing; END",
    )
    .await;
    let r = row(
        &mut c,
        "DECLARE @n int; BEGIN TRY EXEC dbo.ReadsMissing; END TRY BEGIN CATCH SET @n = ERROR_NUMBER(); END CATCH SELECT @n AS n;",
    )
    .await;
    assert_eq!(r.get::<i32, _>("n"), Some(208));
}
