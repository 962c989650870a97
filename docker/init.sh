#!/usr/bin/env bash
# One-shot initialisation of the docker-compose SQL Server (the `init` service):
#   1. creates the database (LogonDb) if it is missing;
#   2. applies each migrations/VN__name.sql not yet in dbo.SchemaMigrations, in
#      version order, each in one transaction with its history row (version,
#      file name, sha256); a recorded migration whose file changed stops it;
#   3. applies every sql/procedures then sql/seed file (they are repeatable);
#   4. creates the least-privilege application login `logondb_app`.
# Running it again changes nothing. Settings come from the environment
# (see .env.example); passwords never appear on a command line.
set -euo pipefail

SQLCMD=${SQLCMD:-/opt/mssql-tools18/bin/sqlcmd}
HOST=${MSSQL_HOST:-mssql}
DB=${LOGONDB_DATABASE:-LogonDb}
MIGRATIONS_DIR=${MIGRATIONS_DIR:-/migrations}
SQL_DIR=${SQL_DIR:-/sql}
APP_LOGIN=logondb_app
: "${MSSQL_SA_PASSWORD:?MSSQL_SA_PASSWORD must be set}"
: "${LOGONDB_APP_PASSWORD:?LOGONDB_APP_PASSWORD must be set}"

die() {
    echo "init: $*" >&2
    exit 1
}

# The database name is spliced into SQL text, so only a plain identifier will do.
[[ $DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "LOGONDB_DATABASE '$DB' is not a plain identifier"

# sqlcmd takes the password from SQLCMDPASSWORD, which keeps it out of `ps`.
export SQLCMDPASSWORD=$MSSQL_SA_PASSWORD

# -C: trust the server's self-signed certificate; -b: fail on the first error;
# -I: QUOTED_IDENTIFIER ON, which filtered indexes (and DML on their tables) need.
sql() {
    "$SQLCMD" -C -b -I -S "$HOST" -U sa "$@"
}

# Runs a project script. -x turns off sqlcmd's $(var) substitution: the
# scripts are plain T-SQL and must mean the same here as on any other client.
run_script() {
    local file=$1
    echo "init: applying ${file#/}"
    sql -d "$DB" -x -i "$file" || die "$file failed"
}

# Prints one value of a one-column query (nothing when there is no row).
scalar() {
    sql -d "$DB" -h -1 -W -Q "SET NOCOUNT ON; $1" | tr -d '[:space:]'
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

sql -d master -Q "IF DB_ID(N'$DB') IS NULL CREATE DATABASE [$DB];"

sql -d "$DB" -Q "
IF OBJECT_ID(N'dbo.SchemaMigrations', N'U') IS NULL
    CREATE TABLE dbo.SchemaMigrations (
        Version int NOT NULL PRIMARY KEY,
        Name nvarchar(200) NOT NULL,
        Checksum nvarchar(64) NOT NULL,
        AppliedAt datetime2(3) NOT NULL DEFAULT SYSUTCDATETIME()
    );"

# --- migrations/: once each, in version order ----------------------------------
mapfile -t migrations < <(find "$MIGRATIONS_DIR" -maxdepth 1 -type f -name 'V*.sql' -printf '%f\n' | sort -V)
[[ ${#migrations[@]} -gt 0 ]] || die "no migrations in $MIGRATIONS_DIR"

# Check every name before applying any, so a bad set of files changes nothing.
declare -A seen_versions=()
versions=()
for name in "${migrations[@]}"; do
    [[ $name =~ ^V([0-9]+)__[A-Za-z0-9_.-]+\.sql$ ]] || die "migration file name '$name' is not VN__name.sql"
    version=$((10#${BASH_REMATCH[1]}))
    [[ -z ${seen_versions[$version]:-} ]] || die "version $version is used by both ${seen_versions[$version]} and $name"
    seen_versions[$version]=$name
    versions+=("$version")
done

for version in "${versions[@]}"; do
    name=${seen_versions[$version]}
    path=$MIGRATIONS_DIR/$name
    checksum=$(sha256sum "$path" | cut -d' ' -f1)
    recorded=$(scalar "SELECT Checksum FROM dbo.SchemaMigrations WHERE Version = $version;")
    if [[ -n $recorded ]]; then
        [[ $recorded == "$checksum" ]] \
            || die "$name changed after it was applied (recorded sha256 $recorded, file $checksum); add a new migration instead"
        echo "init: $name already applied"
        continue
    fi

    # One transaction around the file's batches and its history row. On an
    # error sqlcmd -b exits, the connection closes and the server rolls back.
    {
        printf 'SET XACT_ABORT ON;\nBEGIN TRANSACTION;\nGO\n'
        cat "$path"
        printf '\nGO\nINSERT INTO dbo.SchemaMigrations (Version, Name, Checksum)\n'
        printf "VALUES (%d, N'%s', N'%s');\nCOMMIT TRANSACTION;\nGO\n" "$version" "$name" "$checksum"
    } >"$TMP/migration.sql"
    echo "init: migrating $name"
    sql -d "$DB" -x -i "$TMP/migration.sql" || die "migration $name failed; nothing of it was kept"
done

# --- sql/: every run, procedures before seed, natural name order ----------------
for dir in procedures seed; do
    mapfile -t scripts < <(find "$SQL_DIR/$dir" -maxdepth 1 -type f -name '*.sql' | sort -V)
    for script in "${scripts[@]}"; do
        run_script "$script"
    done
done

# --- the application login: run procedures and read tables, nothing else -------
# Writes go through the procedures (EXECUTE on schema dbo; ownership chaining
# lets them change the tables), so the login has no INSERT/UPDATE/DELETE and no
# DDL. The script holding the password lives in a private temp file.
app_password=${LOGONDB_APP_PASSWORD//\'/\'\'}
umask 077
cat >"$TMP/app_login.sql" <<SQL
IF SUSER_ID(N'$APP_LOGIN') IS NULL
    CREATE LOGIN [$APP_LOGIN] WITH PASSWORD = N'$app_password', DEFAULT_DATABASE = [$DB], CHECK_POLICY = ON;
ELSE
    ALTER LOGIN [$APP_LOGIN] WITH PASSWORD = N'$app_password';
GO
USE [$DB];
IF USER_ID(N'$APP_LOGIN') IS NULL
    CREATE USER [$APP_LOGIN] FOR LOGIN [$APP_LOGIN];
GRANT EXECUTE ON SCHEMA::dbo TO [$APP_LOGIN];
GRANT SELECT ON dbo.UISource TO [$APP_LOGIN];
GRANT SELECT ON dbo.Zone TO [$APP_LOGIN];
GRANT SELECT ON dbo.[Group] TO [$APP_LOGIN];
GRANT SELECT ON dbo.[User] TO [$APP_LOGIN];
GRANT SELECT ON dbo.UserLogon TO [$APP_LOGIN];
GRANT SELECT ON dbo.AdminUser TO [$APP_LOGIN];
GRANT SELECT ON dbo.AdminUserLogon TO [$APP_LOGIN];
GRANT SELECT ON dbo.PasswordPolicy TO [$APP_LOGIN];
GRANT SELECT ON dbo.UserPasswordHistory TO [$APP_LOGIN];
GRANT SELECT ON dbo.LogonAudit TO [$APP_LOGIN];
GRANT SELECT ON dbo.SchemaMigrations TO [$APP_LOGIN];
GO
-- Prove the grant set is what it claims: fail the init if the login could write or create.
EXECUTE AS USER = N'$APP_LOGIN';
IF HAS_PERMS_BY_NAME(N'dbo.UserLogon', N'OBJECT', N'UPDATE') = 1
    OR HAS_PERMS_BY_NAME(N'dbo.UserLogon', N'OBJECT', N'INSERT') = 1
    OR HAS_PERMS_BY_NAME(N'dbo.UserLogon', N'OBJECT', N'DELETE') = 1
    OR HAS_PERMS_BY_NAME(DB_NAME(), N'DATABASE', N'CREATE TABLE') = 1
    OR HAS_PERMS_BY_NAME(N'dbo.UserLogon_Unlock', N'OBJECT', N'EXECUTE') = 0
    OR HAS_PERMS_BY_NAME(N'dbo.UserLogon', N'OBJECT', N'SELECT') = 0
    THROW 50000, N'$APP_LOGIN does not have exactly the intended permissions.', 1;
REVERT;
GO
SQL
sql -d master -x -i "$TMP/app_login.sql" || die "creating the login $APP_LOGIN failed"

echo "init: database $DB is ready; application login $APP_LOGIN"
