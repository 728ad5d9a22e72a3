"""Generates tablesafe_client/_generated from the protos (scripts/generate-sdks.sh runs it).

    python clients/python/tools/generate.py PROTO_DIR OUT_DIR

1. grpc_tools.protoc writes the messages (``*_pb2.py``, ``*_pb2.pyi``) and the
   stubs (``*_pb2_grpc.py``) under OUT_DIR, laid out like PROTO_DIR
   (``tablesafe/v1/...``).
2. Their imports are made package-relative: protoc names the modules after the
   proto path (``tablesafe.v1.storage_admin_pb2``), which would need OUT_DIR on
   ``sys.path`` and would hand every importer a top-level ``tablesafe``
   package. They become ``tablesafe_client._generated.tablesafe.v1...``; the
   proto's name in the descriptor pool stays ``tablesafe/v1/storage_admin.proto``.
3. ``models.py``: a :class:`ProtoEnum` per proto enum and a typed read-only
   :class:`ProtoView` per message, with the proto's comments as docstrings.

The output depends only on the protos and the grpcio-tools version, so
``scripts/generate-sdks.sh --check`` can compare it with the committed files.
"""

from __future__ import annotations

import keyword
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2

PACKAGE = "tablesafe_client._generated"
F = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    F.TYPE_DOUBLE: "float", F.TYPE_FLOAT: "float", F.TYPE_BOOL: "bool", F.TYPE_STRING: "str",
    F.TYPE_BYTES: "bytes", **{t: "int" for t in (
        F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_INT32, F.TYPE_FIXED64, F.TYPE_FIXED32, F.TYPE_UINT32,
        F.TYPE_SFIXED32, F.TYPE_SFIXED64, F.TYPE_SINT32, F.TYPE_SINT64)},
}
# Names ProtoView itself uses; a field with one of them would hide it.
RESERVED = {"to_proto", "HasField", "WhichOneof"}


def fail(message: str) -> None:
    sys.exit(f"generate.py: {message}")


def main() -> None:
    if len(sys.argv) != 3:
        fail("usage: generate.py PROTO_DIR OUT_DIR")
    proto_dir, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    protos = sorted(p.relative_to(proto_dir).as_posix() for p in proto_dir.rglob("*.proto"))
    if not protos:
        fail(f"no .proto files under {proto_dir}")
    top_dirs = sorted({p.split("/")[0] for p in protos})
    for owned in [*top_dirs, "__init__.py", "models.py"]:
        path = out / owned
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        descriptors = Path(tmp) / "descriptors.pb"
        subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", "-I.", f"--python_out={out}", f"--pyi_out={out}",
             f"--grpc_python_out={out}", f"--descriptor_set_out={descriptors}", "--include_imports",
             "--include_source_info", *protos],
            cwd=proto_dir, check=True,
        )
        files = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file

    packages = sorted({p.rsplit("/", 1)[0].replace("/", ".") for p in protos})
    for path in sorted(out.rglob("*.py*")):
        if path.suffix in (".py", ".pyi"):
            make_package_relative(path, top_dirs, packages)
    for directory in [out, *sorted(p for p in out.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        (directory / "__init__.py").touch()
    ours = [f for f in files if f.name in protos]
    (out / "models.py").write_text(models(ours, files))


def make_package_relative(path: Path, top_dirs: list[str], packages: list[str]) -> None:
    """`from tablesafe.v1 import x_pb2` -> `from tablesafe_client._generated.tablesafe.v1 import x_pb2`,
    and the module name protoc gives the message classes (their __module__) likewise."""
    text = path.read_text()
    tops = "|".join(map(re.escape, top_dirs))
    text = re.sub(rf"^(\s*from\s+)((?:{tops})\.)", rf"\g<1>{PACKAGE}.\g<2>", text, flags=re.M)
    text = re.sub(rf"^(\s*import\s+)((?:{tops})\.)", rf"\g<1>{PACKAGE}.\g<2>", text, flags=re.M)
    pkgs = "|".join(map(re.escape, packages))
    text = re.sub(rf"(BuildTopDescriptorsAndMessages\(DESCRIPTOR, ')((?:{pkgs})\.)", rf"\g<1>{PACKAGE}.\g<2>", text)
    # Whatever still names a generated module absolutely would break (or leak) at import time.
    left = re.search(rf"^\s*(from|import)\s+({tops})\b|(?<![\w./])(?:{pkgs})\.\w+_pb2\b", text, flags=re.M)
    if left:
        fail(f"{path}: cannot make {left.group(0).strip()!r} package-relative")
    path.write_text(text)


# ------------------------------------------------------------------ models.py


def upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def docstring(comment: str, indent: str) -> list[str]:
    lines = [line.rstrip() for line in comment.strip("\n").splitlines()]
    lines = [line[1:] if line.startswith(" ") else line for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return []
    text = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if len(lines) == 1:
        return [f'{indent}"""{text}"""']
    body = [f"{indent}{line}" if line else "" for line in text.splitlines()]
    return [f'{indent}"""{body[0].strip()}', *body[1:], f'{indent}"""']


def comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location if loc.leading_comments}


def member_names(enum: descriptor_pb2.EnumDescriptorProto) -> list[str]:
    """HEALTH_STATUS_HEALTHY -> HEALTHY when every value has the enum's prefix."""
    prefix = upper_snake(enum.name) + "_"
    short = [v.name[len(prefix):] for v in enum.value]
    if all(v.name.startswith(prefix) for v in enum.value) and all(
        s.isidentifier() and not s[0].isdigit() and not s.startswith("_") and not keyword.iskeyword(s) for s in short
    ) and len(set(short)) == len(short):
        return short
    return [v.name for v in enum.value]


def models(ours: list, every: list) -> str:
    where = {}  # full type name -> (file, kind, short name)
    for file in every:
        for message in file.message_type:
            where[f".{file.package}.{message.name}"] = (file, "message", message.name)
        for enum in file.enum_type:
            where[f".{file.package}.{enum.name}"] = (file, "enum", enum.name)
    ours_names = {f.name for f in ours}
    classes = {}
    for file in ours:
        for message in file.message_type:
            if message.nested_type or message.enum_type:
                fail(f"{file.name}: {message.name} nests types; teach generate.py about them")
        for name in [m.name for m in file.message_type] + [e.name for e in file.enum_type]:
            if name in classes:
                fail(f"{name} is defined by both {classes[name]} and {file.name}")
            classes[name] = file.name

    imports = {}  # alias -> import line

    def module_alias(file) -> str:
        if file is None:
            imports["_builtins"] = "import builtins as _builtins"
            return "_builtins"
        package, module = (file.name[: -len(".proto")].replace("/", ".") + "_pb2").rsplit(".", 1)
        line = f"from {'.' if file.name in ours_names else ''}{package} import {module} as _{module}"
        if imports.setdefault(f"_{module}", line) != line:
            fail(f"two generated modules are called {module}")
        return f"_{module}"

    out = []
    exported = []
    for file in ours:
        notes = comments(file)
        for i, enum in enumerate(file.enum_type):
            exported.append(enum.name)
            out += ["", "", f"class {enum.name}(ProtoEnum):"]
            out += docstring(notes.get((5, i), f"The proto enum {file.package}.{enum.name}."), "    ")
            out.append("")
            for j, (value, name) in enumerate(zip(enum.value, member_names(enum))):
                for line in notes.get((5, i, 2, j), "").strip("\n").splitlines():
                    out.append(f"    #: {line.strip()}".rstrip())
                out.append(f"    {name} = {value.number}")
        for i, message in enumerate(file.message_type):
            exported.append(message.name)
            alias = module_alias(file)
            out += ["", "", f"class {message.name}(ProtoView[{alias}.{message.name}]):"]
            out += docstring(notes.get((4, i), f"The proto message {file.package}.{message.name}."), "    ")
            out += ["", "    __slots__ = ()", f"    _proto_class = {alias}.{message.name}"]
            for j, field in enumerate(message.field):
                out += ["", *field_property(file, message, field, where, ours_names, module_alias, notes.get((4, i, 2, j), ""))]
    sources = ", ".join(f.name for f in ours)
    head = [
        f"# Generated by clients/python/tools/generate.py from {sources}.  DO NOT EDIT!",
        '"""Typed read-only views of the messages and Python enums for the proto enums."""',
        "",
        "from __future__ import annotations",
        "",
        *sorted(i for i in imports.values() if not i.startswith("from .")),
        "",
        "from .._model import ProtoEnum, ProtoView",
        *sorted(i for i in imports.values() if i.startswith("from .")),
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in exported),
        "]",
    ]
    return "\n".join(head + out) + "\n"


def field_property(file, message, field, where, ours_names, module_alias, comment) -> list[str]:
    name = field.name
    if keyword.iskeyword(name) or name in RESERVED or name.startswith("_"):
        fail(f"{file.name}: {message.name}.{name} cannot be a Python property")
    repeated = field.label == F.LABEL_REPEATED
    value = f"self._proto.{name}"
    if field.type in SCALARS:
        kind, body = SCALARS[field.type], (f"list({value})" if repeated else value)
    elif field.type in (F.TYPE_ENUM, F.TYPE_MESSAGE):
        target_file, target_kind, target = where[field.type_name]
        if target_kind == "message":
            entry = next(m for m in target_file.message_type if m.name == target)
            if entry.options.map_entry:
                fail(f"{file.name}: {message.name}.{name} is a map; teach generate.py about maps")
        if target_file.name in ours_names:  # one of our classes
            kind = target
            body = f"[{target}(v) for v in {value}]" if repeated else f"{target}({value})"
        else:  # a well-known type: the protobuf message itself
            kind = f"{module_alias(target_file)}.{target}"
            body = f"list({value})" if repeated else value
    else:
        fail(f"{file.name}: {message.name}.{name} has a field type generate.py does not know")
    annotation = f"list[{kind}]" if repeated else kind
    # A field called like a builtin (`bytes`) hides it from the annotations in its class.
    shadowed = {f.name for f in message.field} & {"list", *SCALARS.values()}
    annotation = re.sub(r"\b[a-z]+\b", lambda m: f"_builtins.{m[0]}" if m[0] in shadowed else m[0], annotation)
    if "_builtins." in annotation:
        module_alias(None)
    lines = ["    @property", f"    def {name}(self) -> {annotation}:"]
    lines += docstring(comment, "        ")
    lines.append(f"        return {body}")
    return lines


if __name__ == "__main__":
    main()
