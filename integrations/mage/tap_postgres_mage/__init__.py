#!/usr/bin/env python3
"""Runs tap-postgres as a Mage source.

Mage starts a source as ``python3 <module>/__init__.py`` with its own flags (see
mage_integrations/sources/utils.py: parse_args). This module translates them to tap-postgres's
command line, runs the tap, and exits with the tap's exit code. Standard library only.

    --config FILE / --config_json JSON    merged (JSON last), written to a temporary config file
    --catalog FILE / --catalog_json JSON  the catalog to sync (else the tap discovers one)
    --state FILE / --state_json JSON      the state to resume from (Mage's wrapped form unwrapped)
    --selected_streams_json '["s", ...]'  streams to discover / select (tap_stream_id, stream or table)
    --query FILE / --query_json JSON      Mage's run parameters; tap-postgres has none, so ignored
    --discover                            stdout is exactly the catalog
    --discover_streams (with --discover)  stdout is [{"stream": ..., "tap_stream_id": ...}, ...]
    --test_connection                     connect and read the catalog; nothing on stdout
    --log_to_stdout VALUE                 log lines (JSON, one per line) on stdout with the messages

The tap is found through TAP_POSTGRES_COMMAND (e.g. "npx tap-postgres"), else ``tap-postgres`` on
PATH, else the bin/ of the checkout this file sits in.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT_BIN = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'bin', 'tap-postgres.js'))
USAGE_EXIT = 2


class UsageError(Exception):
    pass


def tap_command():
    configured = os.environ.get('TAP_POSTGRES_COMMAND')
    if configured:
        return shlex.split(configured)
    on_path = shutil.which('tap-postgres')
    if on_path:
        return [on_path]
    if os.path.isfile(CHECKOUT_BIN):
        return [shutil.which('node') or 'node', CHECKOUT_BIN]
    raise UsageError('tap-postgres not found: set TAP_POSTGRES_COMMAND or put tap-postgres on PATH')


def parse_args(argv):
    p = argparse.ArgumentParser(prog='tap_postgres_mage', add_help=True)
    p.add_argument('-c', '--config')
    p.add_argument('--config_json')
    p.add_argument('--catalog')
    p.add_argument('-p', '--properties')
    p.add_argument('--catalog_json')
    p.add_argument('-s', '--state')
    p.add_argument('--state_json')
    p.add_argument('--selected_streams_json')
    p.add_argument('--query')
    p.add_argument('--query_json')
    p.add_argument('--settings')
    p.add_argument('-d', '--discover', action='store_true')
    p.add_argument('--discover_streams', action='store_true')
    p.add_argument('--test_connection', action='store_true')
    p.add_argument('--log_to_stdout')
    # Mage adds flags of its own over time; like Mage's own parser, ignore the ones we don't know.
    args, _unknown = p.parse_known_args(argv)
    return args


def load_json_text(text, what):
    try:
        return json.loads(text)
    except ValueError as e:
        raise UsageError('%s is not valid JSON: %s' % (what, e))


def load_json_file(path, what):
    try:
        with open(path, encoding='utf-8') as f:
            return load_json_text(f.read(), '%s file %s' % (what, path))
    except OSError as e:
        raise UsageError('cannot read %s file %s: %s' % (what, path, e.strerror))


def merged_config(args):
    if args.settings:
        raise UsageError('--settings (YAML) is not supported; pass --config or --config_json')
    config = {}
    if args.config:
        config.update(load_json_file(args.config, 'config'))
    if args.config_json:
        config.update(load_json_text(args.config_json, '--config_json'))
    if not config:
        raise UsageError('missing config: give --config FILE or --config_json JSON')
    return config


def unwrap_state(state):
    """Mage hands back its destination's last state wrapped once more: {"bookmarks": <state>}."""
    inner = state.get('bookmarks') if isinstance(state, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get('bookmarks'), dict):
        return inner
    if isinstance(state, dict) and state.get('type') == 'STATE' and 'value' in state:
        return unwrap_state(state['value'])
    return state


def input_state(args):
    if args.state_json:
        return unwrap_state(load_json_text(args.state_json, '--state_json'))
    path = args.state
    if path and os.path.isfile(path) and os.path.getsize(path) > 0:
        return unwrap_state(load_json_file(path, 'state'))
    return None


def selected_streams(args):
    if not args.selected_streams_json:
        return None
    names = load_json_text(args.selected_streams_json, '--selected_streams_json')
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise UsageError('--selected_streams_json must be a JSON array of stream names')
    return set(names)


def names_of(stream):
    return {stream.get('tap_stream_id'), stream.get('stream'), stream.get('table_name')}


def root_metadata(stream):
    for m in stream.setdefault('metadata', []):
        if m.get('breadcrumb') == []:
            return m.setdefault('metadata', {})
    entry = {'breadcrumb': [], 'metadata': {}}
    stream['metadata'].append(entry)
    return entry['metadata']


def apply_selection(catalog, names):
    """Selects exactly the named streams; the catalog's own selection stands when none are named."""
    if names is None:
        return catalog
    for stream in catalog.get('streams', []):
        root_metadata(stream)['selected'] = bool(names_of(stream) & names)
    return catalog


class Run(object):
    def __init__(self, command, workdir):
        self.command = command
        self.workdir = workdir

    def write(self, name, doc):
        path = os.path.join(self.workdir, name)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(doc, f)
        return path

    def capture(self, tap_args):
        """Runs the tap with stdout captured and stderr passed through."""
        done = subprocess.run(self.command + tap_args, stdout=subprocess.PIPE)
        return done.returncode, done.stdout

    def stream(self, tap_args, logs_to_stdout):
        if not logs_to_stdout:
            return subprocess.run(self.command + tap_args).returncode
        # Messages and log lines share stdout: whole lines only, one writer at a time.
        proc = subprocess.Popen(
            self.command + tap_args + ['--log-format', 'json'],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        lock = threading.Lock()
        out = sys.stdout.buffer

        def relay(pipe):
            for line in pipe:
                with lock:
                    out.write(line if line.endswith(b'\n') else line + b'\n')
                    out.flush()

        threads = [threading.Thread(target=relay, args=(pipe,)) for pipe in (proc.stdout, proc.stderr)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return proc.wait()


def discover(run, config_path, names):
    code, out = run.capture(['--config', config_path, '--discover'])
    if code != 0:
        return code, None
    catalog = json.loads(out)
    if names is not None:
        catalog['streams'] = [s for s in catalog['streams'] if names_of(s) & names]
    return 0, catalog


def main(argv):
    try:
        args = parse_args(argv)
        run = Run(tap_command(), tempfile.mkdtemp(prefix='tap-postgres-mage-'))
        try:
            return dispatch(args, run)
        finally:
            shutil.rmtree(run.workdir, ignore_errors=True)
    except UsageError as e:
        sys.stderr.write('CRITICAL %s\n' % e)
        return USAGE_EXIT


def dispatch(args, run):
    config_path = run.write('config.json', merged_config(args))
    names = selected_streams(args)
    if args.query or args.query_json:
        # Mage passes run parameters (execution date, partition) meant for its own sources.
        sys.stderr.write('INFO Mage query parameters are not used by tap-postgres; ignored\n')

    if args.test_connection:
        code, _ = run.capture(['--config', config_path, '--discover'])
        if code == 0:
            sys.stderr.write('INFO connection test succeeded\n')
        return code

    if args.discover:
        code, catalog = discover(run, config_path, names)
        if code != 0:
            return code
        if args.discover_streams:
            doc = [{'stream': s['stream'], 'tap_stream_id': s['tap_stream_id']} for s in catalog['streams']]
        else:
            doc = catalog
        sys.stdout.write(json.dumps(doc))
        sys.stdout.flush()
        return 0

    if args.catalog_json:
        catalog = load_json_text(args.catalog_json, '--catalog_json')
    elif args.catalog or args.properties:
        catalog = load_json_file(args.catalog or args.properties, 'catalog')
    else:
        code, catalog = discover(run, config_path, names)
        if code != 0:
            return code
    tap_args = ['--config', config_path, '--catalog', run.write('catalog.json', apply_selection(catalog, names))]
    state = input_state(args)
    if state is not None:
        tap_args += ['--state', run.write('state.json', state)]
    return run.stream(tap_args, logs_to_stdout=truthy(args.log_to_stdout))


def truthy(value):
    return value is not None and str(value).lower() not in ('', '0', 'false', 'no')


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
