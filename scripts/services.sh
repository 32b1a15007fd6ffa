#!/usr/bin/env bash
# Bring up the local services KazRockets needs, idempotently:
#   PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672,
#   S3 emulator (moto_server from the project's virtualenv) 127.0.0.1:9000,
#   debugging SMTP server (aiosmtpd from the virtualenv) 127.0.0.1:1025, mail kept in .run/mail.
# Each one is reused when it already answers, started when installed but stopped,
# and installed with apt-get when missing. Databases and buckets are created by
# `kazrockets migrate`, not here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"
VENV="${VENV:-$ROOT/.venv}"
S3_PORT="${KAZROCKETS_S3_PORT:-9000}"
SMTP_PORT="${KAZROCKETS_SMTP_PORT:-1025}"
MAIL_DIR="$RUN_DIR/mail"
mkdir -p "$RUN_DIR"

log() { printf '{"service":"%s","msg":"%s"}\n' "$1" "$2"; }

answers() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # name host port seconds
    local i
    for ((i = 0; i < $4 * 4; i++)); do
        if answers "$2" "$3"; then log "$1" "up on $2:$3"; return 0; fi
        sleep 0.25
    done
    log "$1" "did not answer on $2:$3 within $4 s"
    return 1
}

APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED == 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_up() {
    if answers 127.0.0.1 5432; then log postgresql "already running"; return; fi
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        log postgresql "installing"
        apt_install postgresql
        local conf
        conf="$(ls -d /etc/postgresql/*/main | head -1)"
        # Local development cluster: trust connections from this machine only.
        sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for postgresql 127.0.0.1 5432 30
}

redis_up() {
    if answers 127.0.0.1 6379; then log redis "already running"; return; fi
    command -v redis-server >/dev/null || { log redis "installing"; apt_install redis-server; }
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/kazrockets.log
    wait_for redis 127.0.0.1 6379 15
}

rabbitmq_up() {
    if answers 127.0.0.1 5672; then log rabbitmq "already running"; return; fi
    command -v rabbitmq-server >/dev/null || { log rabbitmq "installing"; apt_install rabbitmq-server; }
    if rabbitmqctl -q ping >/dev/null 2>&1; then
        # The node runs but its application was stopped (rabbitmqctl stop_app): start it.
        rabbitmqctl -q start_app
    else
        rabbitmq-server -detached
    fi
    wait_for rabbitmq 127.0.0.1 5672 90
}

s3_up() {
    if answers 127.0.0.1 "$S3_PORT"; then log s3 "already running"; return; fi
    if [[ ! -x "$VENV/bin/moto_server" ]]; then
        log s3 "moto_server missing: run 'make install' first"
        return 1
    fi
    # setsid: a session of its own, so it outlives the shell (and process group) that started it.
    setsid nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$RUN_DIR/s3.log" 2>&1 &
    echo $! >"$RUN_DIR/s3.pid"
    wait_for s3 127.0.0.1 "$S3_PORT" 30
}

smtp_up() {
    if answers 127.0.0.1 "$SMTP_PORT"; then log smtp "already running"; return; fi
    if ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
        log smtp "aiosmtpd missing: run 'make install' first"
        return 1
    fi
    # Every message is kept as a file of the maildir (new/), for reading in tests and by hand.
    mkdir -p "$MAIL_DIR/tmp" "$MAIL_DIR/new" "$MAIL_DIR/cur"
    setsid nohup "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
        -c aiosmtpd.handlers.Mailbox "$MAIL_DIR" >"$RUN_DIR/smtp.log" 2>&1 &
    echo $! >"$RUN_DIR/smtp.pid"
    wait_for smtp 127.0.0.1 "$SMTP_PORT" 30
}

postgres_up
redis_up
rabbitmq_up
s3_up
smtp_up
