#!/usr/bin/env python3
"""Deterministic mutations of real OCI documents for the Go-oracle differential fuzz.

  mutate.py --seed N --count C --out DIR CONFIG.json...

Writes DIR/spec/NNNN.json (mutated config.json files), DIR/process/NNNN.json (their "process", as
`runc exec -p` reads it) and DIR/resources/NNNN.json (their "linux.resources", as `runc update -r` reads it),
and next to each a NNNN.json.what naming the source and every mutation applied (for the report).

Mutations are the ways a document can hide a setting from a reader that is not Go's: key case flips,
U+212A KELVIN SIGN / U+017F LONG S for k/s (raw or \\u-escaped), \\u-escaped key characters, duplicated
members (same or folded key; the copy a variant: scalars changed, objects cut to a subset, null), inserted
nulls (values, members, array elements), invalid UTF-8 and lone surrogates in keys and strings, number
variants (1e3, 1.0, -0, huge, negative, string), values of another JSON type, removed members, and kernel-memory members put in under a
random spelling. The same seed gives the same files.
"""
import argparse
import json
import os
import random

KELVIN, LONG_S = "\u212a", "\u017f"


class Obj(list):
    """A JSON object as a list of [key, value] members: order and duplicates kept."""


class Raw:
    """A JSON string given by its encoded body (bytes between the quotes): may hold invalid UTF-8."""

    def __init__(self, body):
        self.body = body


class Num:
    """A number literal written as is."""

    def __init__(self, text):
        self.text = text


def body(s):
    return s.body if isinstance(s, Raw) else json.dumps(s, ensure_ascii=False)[1:-1].encode("utf-8")


def dump(v, out):
    if isinstance(v, Obj):
        out += b"{"
        for i, (k, x) in enumerate(v):
            if i:
                out += b","
            out += b'"' + body(k) + b'":'
            dump(x, out)
        out += b"}"
    elif isinstance(v, list):
        out += b"["
        for i, x in enumerate(v):
            if i:
                out += b","
            dump(x, out)
        out += b"]"
    elif isinstance(v, (str, Raw)):
        out += b'"' + body(v) + b'"'
    elif isinstance(v, Num):
        out += v.text.encode()
    else:
        out += json.dumps(v).encode()  # null, true, false, ints (json.loads kept them exact)


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read(), object_pairs_hook=lambda pairs: Obj([list(p) for p in pairs]))


def key_text(k):
    return k if isinstance(k, str) else None


class Mutator:
    def __init__(self, rng):
        self.r = rng
        self.log = []

    # ---- finding places ----
    def objects(self, v, path=()):
        if isinstance(v, Obj):
            yield path, v
            for k, x in v:
                yield from self.objects(x, path + (key_text(k) or "?",))
        elif isinstance(v, list):
            for x in v:
                yield from self.objects(x, path + ("[]",))

    def arrays(self, v, path=()):
        if isinstance(v, Obj):
            for k, x in v:
                yield from self.arrays(x, path + (key_text(k) or "?",))
        elif isinstance(v, list):
            yield path, v
            for x in v:
                yield from self.arrays(x, path + ("[]",))

    @staticmethod
    def norm(path):
        return ".".join(p.lower().replace(KELVIN, "k").replace(LONG_S, "s") for p in path)

    def pick(self, places):
        # Mostly a place near what the guards read — not inside the long lists of objects (seccomp rules,
        # cgroup device rules, namespaces) that would otherwise draw most picks — else any place.
        places = list(places)
        if not places:
            return None
        far = ("linux.seccomp.syscalls.[].", "linux.resources.devices", "devices.[]", "linux.namespaces")
        near = [p for p in places if not self.norm(p[0]).startswith(far)]
        return self.r.choice(near if near and self.r.random() < 0.7 else places)

    # ---- key spellings ----
    def respell(self, k):
        if not isinstance(k, str):
            return k
        r = self.r
        how = r.randrange(4)
        if how == 0:  # case flips
            return "".join(c.swapcase() if c.isascii() and r.random() < 0.4 else c for c in k) or k
        if how == 1:  # Kelvin / long s for k / s, raw or escaped
            spots = [i for i, c in enumerate(k) if c in "kKsS"]
            i = r.choice(spots) if spots else r.randrange(max(len(k), 1))
            sub = KELVIN if (k[i:i + 1] in ("k", "K") or (not spots and r.random() < 0.5)) else LONG_S
            if r.random() < 0.5:
                return k[:i] + sub + k[i + 1:]
            esc = ("\\u212" + r.choice("aA")) if sub == KELVIN else "\\u017" + r.choice("fF")
            return Raw(body(k[:i]) + esc.encode() + body(k[i + 1:]))
        if how == 2 and k:  # one character \u-escaped
            i = r.randrange(len(k))
            return Raw(body(k[:i]) + ("\\u%04x" % ord(k[i])).encode() + body(k[i + 1:]))
        return k.upper() if r.random() < 0.5 else k.lower()

    # ---- values ----
    def variant(self, v, depth=0):
        r = self.r
        if r.random() < 0.2:
            return None
        if isinstance(v, Obj):
            keep = Obj([[k, self.variant(x, depth + 1) if r.random() < 0.3 else x] for k, x in v if r.random() < 0.5])
            return keep
        if isinstance(v, list):
            if v and r.random() < 0.5:
                return [self.variant(x, depth + 1) if r.random() < 0.3 else x for x in v[: r.randrange(len(v) + 1)]]
            return [x for x in v] + ([v[0]] if v else [])
        if isinstance(v, bool):
            return not v
        if isinstance(v, int):
            return r.choice([0, 1, -1, v + 1, 4096, 1 << 40])
        if isinstance(v, (str, Raw)):
            return r.choice(["", "/x", "SCMP_ACT_ALLOW", "CAP_SYS_ADMIN", "bind", "/proc"])
        return v

    def bad_string(self, s):
        r = self.r
        b = body(s)
        i = r.randrange(len(b) + 1)
        while i < len(b) and (b[i] & 0xC0) == 0x80:
            i += 1  # not in the middle of a character or an escape
        if b[:i].endswith(b"\\"):
            i -= 1
        junk = r.choice([b"\xff", b"\xfe\xfe", b"\xc3", b"\xed\xa0\x80", b"\xe2\x84", b"\xc0\xaf", b"\xf4\x90\x80\x80",
                         b"\\ud800", b"\\udc00", b"\\udbff\\u0041", b"\\ud83d\\ude00", b"\xf0\x9f\x98\x80", b"\\u0000"])
        return Raw(b[:i] + junk + b[i:])

    NUMBERS = ["1e3", "1.0", "-0", "0", "-1", "99999999999999999999", "18446744073709551615", "18446744073709551616",
               "9223372036854775807", "9223372036854775808", "-9223372036854775808", "4294967296", "1E+2", "0.5"]

    # ---- mutations ----
    def m_respell(self, doc):
        p = self.pick((p, o) for p, o in self.objects(doc) if o)
        if not p:
            return
        path, o = p
        i = self.r.randrange(len(o))
        old = o[i][0]
        o[i][0] = self.respell(old)
        self.log.append(f"respell {'.'.join(path + (key_text(old) or '?',))} as {dump_key(o[i][0])}")

    def m_duplicate(self, doc):
        p = self.pick((p, o) for p, o in self.objects(doc) if o)
        if not p:
            return
        path, o = p
        i = self.r.randrange(len(o))
        k, v = o[i]
        k2 = self.respell(k) if self.r.random() < 0.5 else k
        v2 = self.variant(v)
        j = self.r.randrange(i + 1, len(o) + 1)
        o.insert(j, [k2, v2])
        self.log.append(f"duplicate {'.'.join(path + (key_text(k) or '?',))} as {dump_key(k2)}: {short(v2)}")

    def m_null(self, doc):
        r = self.r
        if r.random() < 0.3:
            p = self.pick((p, a) for p, a in self.arrays(doc) if a)
            if p:
                path, a = p
                i = r.randrange(len(a))
                a[i] = None
                self.log.append(f"null element {'.'.join(path)}[{i}]")
                return
        p = self.pick((p, o) for p, o in self.objects(doc) if o)
        if not p:
            return
        path, o = p
        i = r.randrange(len(o))
        name = ".".join(path + (key_text(o[i][0]) or "?",))
        if r.random() < 0.5:
            o[i][1] = None
            self.log.append(f"null value {name}")
        else:
            o.insert(r.randrange(i + 1, len(o) + 1), [o[i][0], None])
            self.log.append(f"null member after {name}")

    def m_bad_bytes(self, doc):
        r = self.r
        if r.random() < 0.4:
            p = self.pick((p, o) for p, o in self.objects(doc) if o)
            if not p:
                return
            path, o = p
            i = r.randrange(len(o))
            name = ".".join(path + (key_text(o[i][0]) or "?",))
            o[i][0] = self.bad_string(o[i][0])
            self.log.append(f"bad bytes in key {name}: {dump_key(o[i][0])}")
            return
        sites = []
        for path, o in self.objects(doc):
            sites += [(path + (key_text(k) or "?",), o, i) for i, (k, x) in enumerate(o) if isinstance(x, (str, Raw))]
        for path, a in self.arrays(doc):
            sites += [(path + ("[]",), a, i) for i, x in enumerate(a) if isinstance(x, (str, Raw))]
        if not sites:
            return
        path, c, i = self.pick(((s[0], s) for s in sites))[1]
        if isinstance(c, Obj):
            c[i][1] = self.bad_string(c[i][1])
            self.log.append(f"bad bytes in {'.'.join(path)}: {dump_key(c[i][1])}")
        else:
            c[i] = self.bad_string(c[i])
            self.log.append(f"bad bytes in {'.'.join(path)}: {dump_key(c[i])}")

    def m_number(self, doc):
        sites = []
        for path, o in self.objects(doc):
            sites += [(path + (key_text(k) or "?",), o, i) for i, (k, x) in enumerate(o)
                      if isinstance(x, (int, Num)) and not isinstance(x, bool)]
        if not sites:
            return
        memory = [s for s in sites if "memory" in self.norm(s[0])]
        if memory and self.r.random() < 0.4:
            sites = memory
        path, o, i = self.pick(((s[0], s) for s in sites))[1]
        text = self.r.choice(self.NUMBERS + ['"1"'])
        o[i][1] = Raw(b"1") if text == '"1"' else Num(text)
        self.log.append(f"number {'.'.join(path)} = {text}")

    def m_retype(self, doc):
        p = self.pick((p, o) for p, o in self.objects(doc) if o)
        if not p:
            return
        path, o = p
        i = self.r.randrange(len(o))
        new = self.r.choice([Num("1"), "1", True, [], Obj(), ["x"], Obj([["a", 1]])])
        o[i][1] = new
        self.log.append(f"retype {'.'.join(path + (key_text(o[i][0]) or '?',))} = {short(new)}")

    def m_remove(self, doc):
        p = self.pick((p, o) for p, o in self.objects(doc) if o)
        if not p:
            return
        path, o = p
        i = self.r.randrange(len(o))
        self.log.append(f"remove {'.'.join(path + (key_text(o[i][0]) or '?',))}")
        del o[i]

    def kmem(self, doc, mode):
        """Puts kernel/kernelTCP into the memory section (made where missing), under a random spelling."""
        r = self.r
        memory = doc
        route = {"spec": ["linux", "resources", "memory"], "resources": ["memory"]}[mode]
        for name in route:
            found = [m for k, m in memory if k == name and isinstance(m, Obj)] if isinstance(memory, Obj) else []
            if not found:
                if not isinstance(memory, Obj):
                    return
                memory.append([name, Obj()])
                found = [memory[-1][1]]
            memory = found[-1]
        field = r.choice(["kernel", "kernelTCP"])
        key = self.respell(field) if r.random() < 0.7 else field
        value = r.choice([0, 4096, 67108864, -1, 1 << 40])
        memory.insert(r.randrange(len(memory) + 1), [key, value])
        self.log.append(f"kmem {'.'.join(route)}.{field} as {dump_key(key)} = {value}")


def dump_key(k):
    return body(k).decode("utf-8", "backslashreplace")


def short(v):
    out = bytearray()
    dump(v, out)
    text = out.decode("utf-8", "backslashreplace")
    return text if len(text) <= 80 else text[:77] + "..."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("configs", nargs="+")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    sources = {"spec": [], "process": [], "resources": []}
    for path in sorted(a.configs):
        name = os.path.basename(path)
        doc = load(path)
        sources["spec"].append((name, path))
        sources["process"].append((name + ":process", path))
        sources["resources"].append((name + ":linux.resources", path))
    share = {"spec": 0.7, "process": 0.15, "resources": 0.15}
    for mode in sources:
        os.makedirs(os.path.join(a.out, mode), exist_ok=True)
    for n in range(a.count):
        x = rng.random()
        mode = "spec" if x < share["spec"] else "process" if x < share["spec"] + share["process"] else "resources"
        name, path = rng.choice(sources[mode])
        doc = load(path)
        if mode == "process":
            doc = [v for k, v in doc if k == "process"][0]
        elif mode == "resources":
            doc = [v for k, v in [m for k, m in doc if k == "linux"][0] if k == "resources"][0]
        m = Mutator(rng)
        if mode != "process" and rng.random() < 0.4:
            m.kmem(doc, mode)
        ops = [m.m_respell] * 4 + [m.m_duplicate] * 3 + [m.m_null] * 3 + [m.m_bad_bytes] * 2 + [m.m_number] * 2 + [m.m_retype, m.m_remove]
        for _ in range(rng.randint(1, 4)):
            rng.choice(ops)(doc)
        out = bytearray()
        dump(doc, out)
        if rng.random() < 0.05:
            out += rng.choice([b"\n", b" trailing", b"{}", b"\x00"])
        target = os.path.join(a.out, mode, "%04d.json" % n)
        with open(target, "wb") as f:
            f.write(bytes(out))
        with open(target + ".what", "w", encoding="utf-8") as f:
            f.write(f"{name}: " + "; ".join(m.log) + "\n")


if __name__ == "__main__":
    main()
