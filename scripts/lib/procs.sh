# Background processes of the local stack: started detached (setsid), one pid file each under
# $TALLY_VAR/run, stdout/stderr into $TALLY_VAR/log/<name>.out. Sourced after common.sh.

# start_proc NAME READY_URL COMMAND... : starts COMMAND unless NAME runs; waits for READY_URL.
start_proc() {
    local name="$1" ready="$2"; shift 2
    local pidfile="$TALLY_VAR/run/$name.pid" out="$TALLY_VAR/log/$name.out"
    if pid_alive "$pidfile"; then
        say "$name: already running (pid $(cat "$pidfile"))"
        return 0
    fi
    setsid nohup "$@" >"$out" 2>&1 < /dev/null &
    echo $! >"$pidfile"
    if [ -n "$ready" ]; then
        local deadline=$((SECONDS + ${TALLY_START_TIMEOUT:-60}))
        until python3 "$TALLY_ROOT/scripts/lib/probe.py" http "$ready"; do
            if ! pid_alive "$pidfile"; then tail -n 20 "$out" >&2; die "$name exited during start-up; see $out"; fi
            [ $SECONDS -lt $deadline ] || die "$name did not answer $ready in time; see $out"
            sleep 0.5
        done
    fi
    say "$name: running (pid $(cat "$pidfile"))"
}

# stop_proc NAME : SIGTERM, then SIGKILL after 30 s.
stop_proc() {
    local name="$1" pidfile="$TALLY_VAR/run/$1.pid"
    if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
    local pid; pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        sleep 0.2
    done
    rm -f "$pidfile"
    say "$name: stopped"
}

# proc_status NAME ADDRESS LOG : one line of `scripts/dev status`.
proc_status() {
    local name="$1" address="$2" log="$3" pidfile="$TALLY_VAR/run/$1.pid" state=stopped pid=-
    if pid_alive "$pidfile"; then state=running; pid="$(cat "$pidfile")"; fi
    printf '%-10s %-12s %-8s %-22s %s\n' "$name" "$state" "$pid" "$address" "$log"
}
