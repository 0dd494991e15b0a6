"""Decodes a Perfetto trace with Perfetto's own schema (the PyPI `perfetto` package's Python
protobuf bindings) and prints, as JSON, what vatrace's export test checks: every track
descriptor and every track event in packet order (its args' names, and the values of its scalar
args), and any field the schema does not know.

Usage: python3 perfetto_decode.py FILE. Exit 3 when the `perfetto` package is missing."""
import json
import sys

try:
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as P
    from google.protobuf.unknown_fields import UnknownFieldSet
except ImportError as e:
    print(f"missing Python package: {e}", file=sys.stderr)
    sys.exit(3)


def unknown(msg, path, out):
    """Records every field of msg (recursively) the schema does not know."""
    if len(UnknownFieldSet(msg)) > 0:
        out.append(f"{path}: {[f.field_number for f in UnknownFieldSet(msg)]}")
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for i, v in enumerate(items):
                unknown(v, f"{path}.{field.name}[{i}]", out)


def scalar(a):
    """The value of a scalar debug annotation, or None for a dict or array."""
    for f in ("bool_value", "uint_value", "int_value", "double_value", "string_value"):
        if a.HasField(f):
            return getattr(a, f)
    return None


def main():
    trace = P.Trace()
    trace.ParseFromString(open(sys.argv[1], "rb").read())
    out = {"packets": len(trace.packet), "unknown": [], "items": []}
    for i, p in enumerate(trace.packet):
        unknown(p, f"packet[{i}]", out["unknown"])
        if p.HasField("track_descriptor"):
            d = p.track_descriptor
            kind = "process" if d.HasField("process") else "thread" if d.HasField("thread") else \
                "counter" if d.HasField("counter") else "track"
            out["items"].append({
                "desc": d.uuid, "name": d.name, "kind": kind,
                "parent": d.parent_uuid if d.HasField("parent_uuid") else None,
            })
        elif p.HasField("track_event"):
            e = p.track_event
            out["items"].append({
                "ev": P.TrackEvent.Type.Name(e.type), "ts": p.timestamp, "track": e.track_uuid,
                "name": e.name, "cat": list(e.categories), "flows": list(e.flow_ids),
                "end_flows": list(e.terminating_flow_ids), "seq": p.trusted_packet_sequence_id,
                "args": [a.name for a in e.debug_annotations],
                "vals": {a.name: scalar(a) for a in e.debug_annotations
                         if scalar(a) is not None},
            })
    json.dump(out, sys.stdout)


main()
