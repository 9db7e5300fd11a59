import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Placement, scanPlacements, slot } from "../../src/format/shell-placements.ts";

/** `X` in the text stands for one `{{ }}`; returns the placement kind of each (refusals: "refused"). */
function kinds(text: string): string[] {
  let n = 0;
  const marked = text.replace(/X/g, () => slot(n++));
  return scanPlacements(marked, n).map((p) => p.kind);
}
const one = (text: string) => kinds(text)[0];
function why(text: string): string {
  let n = 0;
  const p = scanPlacements(
    text.replace(/X/g, () => slot(n++)),
    1,
  )[0] as Placement;
  return p.kind === "refused" ? p.why : "";
}

describe("where a value stands in shell text", () => {
  test("unquoted words, assignments, redirections and here-strings", () => {
    expect(one("echo X")).toBe("word");
    expect(one("echo --name=X/bin")).toBe("word");
    expect(one("dir=X")).toBe("word");
    expect(one("cat > X")).toBe("word");
    expect(one("cat <<< X")).toBe("word");
    expect(one("for f in X; do echo $f; done")).toBe("word");
    expect(one("case X in a) echo a;; esac")).toBe("word");
    expect(one("echo ${HOME:-X}")).toBe("word");
  });

  test("inside double quotes, and in quotes inside command substitutions", () => {
    expect(one('echo "dq: X"')).toBe("quoted");
    expect(one('echo "${A:-X}"')).toBe("quoted");
    expect(one('echo "$(echo X)"')).toBe("word");
    expect(one('echo "$(echo "in X")"')).toBe("quoted");
    expect(one("echo `echo X`")).toBe("word");
    expect(one('echo "a `echo X` b"')).toBe("word");
    expect(kinds('echo "X" X "X"')).toEqual(["quoted", "word", "quoted"]);
  });

  test("quotes that end: what follows them is read again as it stands", () => {
    expect(one("echo 'a' X")).toBe("word");
    expect(one("echo 'it''s' \"X\"")).toBe("quoted");
    expect(one('echo "a\\"b" X')).toBe("word");
    expect(one("echo \\' X")).toBe("word");
    expect(one("echo 'a'X'b'")).toBe("word");
  });

  test("here-documents: unquoted ones expand, quoted ones refuse, and what comes after is read again", () => {
    expect(kinds("cat > f <<EOF\nname=X\nEOF\necho X")).toEqual(["quoted", "word"]);
    expect(kinds("cat > f <<-EOF\n\tname=X\n\tEOF\necho X")).toEqual(["quoted", "word"]);
    expect(kinds("cat > f <<'EOF'\nname=X\nEOF\necho X")).toEqual(["refused", "word"]);
    expect(kinds('cat <<"EOF"\nX\nEOF')).toEqual(["refused"]);
    expect(kinds("cat <<\\EOF\nX\nEOF")).toEqual(["refused"]);
    expect(kinds("cat <<A <<'B'\nX\nA\nX\nB\nX")).toEqual(["quoted", "refused", "word"]);
  });

  test("single quotes, $'…' and arithmetic refuse", () => {
    expect(one("echo 'X'")).toBe("refused");
    expect(one("echo 'a X b'")).toBe("refused");
    expect(one("echo $'a X'")).toBe("refused");
    expect(one("echo \"it is\" 'X'")).toBe("refused");
    expect(one("echo $(( X + 1 ))")).toBe("refused");
    expect(one("(( X > 2 ))")).toBe("refused");
    expect(one("let n=X")).toBe("refused");
    expect(one("[[ X -eq 3 ]]")).toBe("refused");
    expect(one("[[ X == a ]]")).toBe("word");
    expect(one("echo $(( $(echo X) / 2 ))")).toBe("word");
    expect(why("echo 'X'")).toContain("single quotes");
  });

  test("text that another parser runs as code refuses", () => {
    expect(one("eval X")).toBe("refused");
    expect(one('eval "echo X"')).toBe("refused");
    expect(one('bash -c "echo X"')).toBe("refused");
    expect(one('sudo -u app sh -c "echo X"')).toBe("refused");
    expect(one('docker exec c sh -lc "echo X"')).toBe("refused");
    expect(one("bash -c 'echo \"$1\"' _ X")).toBe("word");
    expect(one("ssh host echo X")).toBe("refused");
    expect(one("ssh -p 22 -i X host true")).toBe("word");
    expect(one('su - app -c "echo X"')).toBe("refused");
    expect(one('python3 -c "print(X)"')).toBe("refused");
    expect(one("python3 script.py X")).toBe("word");
    expect(one('awk "{print X}" file')).toBe("refused");
    expect(one("awk -v v=X '{print v}' file")).toBe("word");
    expect(one('sed "s/a/X/" file')).toBe("refused");
    expect(one("sed -e 's/a/b/' X")).toBe("word");
    expect(one("watch X")).toBe("refused");
    expect(one("sudo -s X")).toBe("refused");
    expect(kinds("bash <<EOF\necho X\nEOF\necho X")).toEqual(["refused", "word"]);
    expect(one("ssh host <<EOF\necho X\nEOF")).toBe("refused");
    expect(one("cat <<EOF | bash\necho X\nEOF")).toBe("quoted");
    expect(why('bash -c "echo X"')).toContain("bash -c");
  });

  test("a backslash or a $ right before the value refuses", () => {
    expect(one("echo \\X")).toBe("refused");
    expect(one("echo \\\\X")).toBe("word");
    expect(one('echo "$X"')).toBe("refused");
  });

  test("commands after ; && || | and newlines start again", () => {
    expect(one("bash -c true; echo X")).toBe("word");
    expect(one("eval true && echo X")).toBe("word");
    expect(one("true | sed 's/a/b/' | grep X")).toBe("word");
    expect(one("if eval true; then echo X; fi")).toBe("word");
    expect(one("if true; then eval X; fi")).toBe("refused");
  });

  test("comments and the shipped runbooks' idioms", () => {
    expect(one("# set X here\necho ok")).toBe("word");
    expect(one("echo a#X")).toBe("word");
    expect(one('conf="$(cd "$d" && pwd)/X"')).toBe("quoted");
    expect(one("x=$(printf '%s' \"$v\" | tr ';' ' ')\necho X")).toBe("word");
    expect(one('echo "OK: $(( $(ps -o rss= -p "$pid") / 1024 )) MB X"')).toBe("quoted");
    expect(one('out=$(sh "$home/bin/mqadmin" clusterList -n X 2>&1)')).toBe("word");
    expect(one("exec 3<>/dev/tcp/X/80")).toBe("word");
    expect(one("f() { echo X; }")).toBe("word");
  });

  test("never throws and reaches every slot on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(..."ab '\"`$(){}[]<>|&;#\\\n-c=Xx\t".split("")), { maxLength: 80 }),
        (chars) => {
          const text = chars.join("");
          const ks = kinds(text);
          expect(ks.length).toBe((text.match(/X/g) ?? []).length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("long and deeply nested text takes time linear in its size", () => {
    const deep = `${"$(".repeat(20_000)}echo X${")".repeat(20_000)}`;
    expect(one(deep)).toBe("word");
    const quotes = `echo ${"'a' \"b\" ".repeat(50_000)}X`;
    expect(one(quotes)).toBe("word");
  });
});
