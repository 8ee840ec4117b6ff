//! A temp folder per test with fixtures copied in, the real CLI run in it, outputs read back.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// The repository root (where `data/` and `tests/fixtures/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub struct Workdir {
    pub dir: tempfile::TempDir,
}

/// What a run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    /// stderr with each log line's timestamp taken off (`kindred: error: …` starts a line).
    pub stderr: String,
    /// stderr as written, timestamps and all.
    pub raw_stderr: String,
}

impl Run {
    /// Asserts the run exited with `code` and its stderr says each of `words`.
    pub fn says(&self, code: i32, words: &[&str]) {
        assert_eq!(self.code, code, "{}", self.stderr);
        for w in words {
            assert!(self.stderr.contains(w), "{w}: {}", self.stderr);
        }
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        let raw_stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: raw_stderr.lines().map(|l| untimed(l).to_string() + "\n").collect(),
            raw_stderr,
        }
    }
}

/// A plain log line without its leading RFC 3339 UTC timestamp (`2026-12-01T02:00:00.123Z `).
pub fn untimed(line: &str) -> &str {
    let b = line.as_bytes();
    let shape = b.len() > 25
        && b[..25].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            24 => *c == b' ',
            _ => c.is_ascii_digit(),
        });
    if shape {
        &line[25..]
    } else {
        line
    }
}

/// `kindred` as a command that inherits none of the KINDRED_* variables the tests themselves run
/// with, nor a scheduler's shard index (a CI job that is a Kubernetes indexed Job, an AWS Batch
/// array job or a Slurm array task has one): a test's runs get only what the test gives them.
pub fn kindred_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kindred"));
    isolated(&mut command);
    command
}

/// `command` (kindred, or a wrapper that starts it: strace, unshare, sh) without the variables
/// [`kindred_command`] leaves out.
pub fn isolated(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("KINDRED_") {
            command.env_remove(name);
        }
    }
    for name in kindred::shard::INDEX_VARS {
        command.env_remove(name);
    }
    command
}

impl Workdir {
    pub fn new() -> Self {
        Workdir { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// The `manifest.json` of the output folder `out`, parsed.
    pub fn manifest(&self, out: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.path(out).join("manifest.json")).unwrap()).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file (text or bytes) into the workdir.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Copies a fixture in under the same name.
    pub fn copy(&self, fixture_name: &str) -> PathBuf {
        let to = self.path(Path::new(fixture_name).file_name().unwrap().to_str().unwrap());
        std::fs::copy(fixture(fixture_name), &to).unwrap();
        to
    }

    /// Writes a pipeline file whose output goes to `out/` in the workdir.
    pub fn pipeline(&self, name: &str, input: &Path, extra: &str) -> PathBuf {
        self.pipeline_with(name, input, "", "out", extra)
    }

    /// A pipeline file with more `[input]` keys, an output folder and more tables.
    pub fn pipeline_with(&self, name: &str, input: &Path, input_keys: &str, out: &str, extra: &str) -> PathBuf {
        let text = format!(
            "[input]\npath = {:?}\n{input_keys}\n[output]\ndir = {:?}\n{extra}\n",
            input.display().to_string(),
            self.path(out).display().to_string()
        );
        self.write(name, text)
    }

    /// Copies `fixture` in and runs `kindred run` on it into `out/`, the pipeline file `p.toml`
    /// with more `[input]` keys and tables; the run must exit 0. Returns the copy and the run.
    pub fn run_fixture(&self, fixture: &str, input_keys: &str, extra: &str) -> (PathBuf, Run) {
        let input = self.copy(fixture);
        let p = self.pipeline_with("p.toml", &input, input_keys, "out", extra);
        let r = self.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        (input, r)
    }

    /// Runs `kindred ARGS` in the workdir.
    pub fn kindred(&self, args: &[&str]) -> Run {
        self.kindred_env(args, &[])
    }

    /// Runs `kindred ARGS` in the workdir with these environment variables, and none of the
    /// KINDRED_* variables the tests themselves run with.
    pub fn kindred_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut command = kindred_command();
        command.args(args).envs(vars.iter().copied()).current_dir(self.dir.path()).output().expect("run kindred").into()
    }

    /// The published set's own `manifest.json` (in `out/runs/<id>/`, where `out/current` leads).
    pub fn published_manifest(&self) -> PathBuf {
        let current = std::fs::read_link(self.path("out/current")).expect("a published set");
        self.path("out").join(current).join("manifest.json")
    }

    /// Every file in the published output set, name → bytes.
    pub fn published(&self) -> BTreeMap<String, Vec<u8>> {
        let out = self.path("out");
        kindred::write::file::ALL
            .iter()
            .filter_map(|n| std::fs::read(out.join(n)).ok().map(|b| (n.to_string(), b)))
            .collect()
    }
}

/// A column's physical type and logical annotation, as an independent reader sees them.
pub fn schema(path: &Path) -> Vec<(String, String)> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let descr = reader.metadata().file_metadata().schema_descr_ptr();
    descr
        .columns()
        .iter()
        .map(|c| {
            let kind = match (c.physical_type(), c.logical_type_ref(), c.converted_type()) {
                (Physical::INT64, _, _) => "Int64",
                (Physical::INT32, _, _) => "Int32",
                (Physical::DOUBLE, _, _) => "Float64",
                (Physical::BOOLEAN, _, _) => "Boolean",
                (Physical::BYTE_ARRAY, Some(LogicalType::String), _) => "String",
                (Physical::BYTE_ARRAY, _, ConvertedType::UTF8) => "String",
                (p, _, _) => panic!("unexpected type {p:?} for {}", c.name()),
            };
            (c.name().to_string(), kind.to_string())
        })
        .collect()
}

/// All rows of a Parquet file as name → field maps, read with arrow-rs's reader.
pub fn rows(path: &Path) -> Vec<BTreeMap<String, Field>> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| r.unwrap().get_column_iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .collect()
}

/// A field as text (ids of either type compare as text).
pub fn text(f: &Field) -> String {
    match f {
        Field::Str(s) => s.clone(),
        Field::Long(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn number(f: &Field) -> f64 {
    match f {
        Field::Double(v) => *v,
        Field::Long(v) => *v as f64,
        Field::Int(v) => *v as f64,
        Field::UInt(v) => *v as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// A Parquet file's key-value metadata (the footer's), as an independent reader sees it.
pub fn key_values(path: &Path) -> BTreeMap<String, String> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let kv = reader.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    kv.into_iter().map(|e| (e.key, e.value.unwrap_or_default())).collect()
}

/// A Parquet file's content without the run that wrote it: the bytes up to the footer (every
/// data page, byte for byte) and the footer's key-value metadata but `kindred.run_id`, the
/// `ARROW:schema` key as the schema it embeds, its metadata without the run id too. Two runs'
/// tables of the same data compare equal; a different value, page, schema or version does not
/// (each run writes its own id into every file, so whole files always differ).
pub fn data(bytes: &[u8]) -> (Vec<u8>, BTreeMap<String, String>) {
    let (body, mut kv) = footer(bytes);
    kv.remove("kindred.run_id");
    if kv.contains_key("ARROW:schema") {
        let mut schema = embedded_schema(bytes);
        schema.metadata.remove("kindred.run_id");
        kv.insert("ARROW:schema".into(), format!("{schema:?}"));
    }
    (body.to_vec(), kv)
}

/// The Arrow schema a Parquet file embeds (its `ARROW:schema` key), with that schema's own
/// metadata only: arrow-rs, given the footer's other keys too, would merge them in.
pub fn embedded_schema(bytes: &[u8]) -> arrow_schema::Schema {
    let n = bytes.len();
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let meta = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&bytes[n - 8 - footer..n - 8]).unwrap();
    let file = meta.file_metadata();
    let arrow: Vec<_> =
        file.key_value_metadata().into_iter().flatten().filter(|kv| kv.key == "ARROW:schema").cloned().collect();
    parquet::arrow::parquet_to_arrow_schema(file.schema_descr(), Some(&arrow)).unwrap()
}

/// A Parquet file's bytes before its footer, and the footer's key-value metadata.
pub fn footer(bytes: &[u8]) -> (&[u8], BTreeMap<String, String>) {
    let n = bytes.len();
    assert!(n >= 12 && &bytes[n - 4..] == b"PAR1", "not a Parquet file");
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let meta = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&bytes[n - 8 - footer..n - 8]).unwrap();
    let kv = meta.file_metadata().key_value_metadata().cloned().unwrap_or_default();
    (&bytes[..n - 8 - footer], kv.into_iter().map(|e| (e.key, e.value.unwrap_or_default())).collect())
}

/// [`data`] of the file at `path`.
pub fn data_at(path: &Path) -> (Vec<u8>, BTreeMap<String, String>) {
    data(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}
