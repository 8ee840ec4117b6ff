//! Parquet: a Parquet file's columns read through polars-parquet, the roles' only.
//!
//! Takes the file's path (and, for the pipeline, the columns the roles read); returns its
//! columns from the footer, the roles' columns, and every column's null count in file order.
//! The columns no role reads are read a batch at a time for their count and dropped, so a wide
//! export's text columns never sit beside the table; the audit parses the roles' types. The
//! footer is parsed once per read of the file ([`Footer`]): parsed again for each column, a
//! 4,000-column footer took 20 s.
//!
//! Columns are read by their position in the footer's schema, never by name: a name the file
//! holds twice (pyarrow writes them; Spark and pandas exports after a join) is read as the CSV
//! reader reads a header's ([`super::unique_header`]: the second `Country` is `Country.1`,
//! a mapped one refused), where polars' reader, which finds columns by name, failed the whole
//! run. Each column's chunks are decoded by polars-parquet into Arrow arrays ([`decode_column`],
//! the one place a chunk that does not read is told, naming the column and its row group) and
//! made a polars column as polars' own reader makes one; an INT96 timestamp's pages are decoded
//! here ([`decode_int96`]), since polars-parquet refuses fastparquet's.
//!
//! Each column is read by what its Arrow type in the footer allows ([`Reading`]), decided
//! before any data is read, because polars panics on a type its build lacks instead of
//! returning an error: flat types as polars holds them (dictionary-encoded text arrives as text);
//! decimals (of 128 or 256 bits) written as their exact text
//! ("17850.00"), which the roles read as they read a CSV's; 8- and 16-bit integers (pandas'
//! downcast ints, DuckDB's TINYINT and SMALLINT, Spark's ByteType and ShortType) widened to
//! Int32, since this build of polars has no 8- or 16-bit integer type (its
//! `dtype-i8` … `dtype-u16` features would rebuild every polars crate for them); anything else
//! (struct, map, fixed-size list, 128-bit integers, intervals, a list or dictionary of a type
//! polars lacks) is never read: refused naming the file, the column and its type as its writer
//! wrote it ([`type_name`]: a map is "map", not the list polars reads it as) when a role maps it,
//! left out of the audit with a note when none does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field};
use polars_arrow::types::i256;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet::parquet::page::split_buffer;
use polars_parquet::parquet::schema::types::{
    GroupConvertedType, GroupLogicalType, ParquetType, PhysicalType, PrimitiveType,
};
use polars_parquet::read::schema::{
    parquet_to_arrow_schema, read_custom_key_value_metadata, read_schema_from_metadata,
};
use polars_parquet::read::{
    column_iter_to_arrays, BasicDecompressor, ColumnChunkMetadata, PageReader, RowGroupMetadata,
};
use rayon::prelude::*;

use super::look::{self, Look, HEAD_ROWS};
use super::magic;
use super::{find_column, null_counts, unique_header, Missing};
use crate::error::InputError;

/// How one column of a Parquet file is read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reading {
    /// As polars holds its Arrow type (a flat type this build of polars has).
    Polars,
    /// As the exact text of each decimal, with the scale's digits ("2.50").
    Decimal { scale: usize },
    /// An 8- or 16-bit integer, widened to Int32.
    Narrow,
    /// A Parquet UUID (16 bytes) as its text, `8-4-4-4-12` lowercase hex, as PostgreSQL,
    /// DuckDB and pyarrow print it: a database's customer ids exported by DuckDB (`uuid`) or
    /// pyarrow (`pa.uuid()`) were refused as "type binary" (helper-144).
    Uuid,
    /// Not at all: its type is beyond what kindred reads.
    Never,
}

/// A Parquet column: its name as read, the name of its type as its writer wrote it, how it is
/// read, and where its values are.
#[derive(Debug, Clone)]
pub(super) struct ParquetColumn {
    pub name: String,
    pub dtype: String,
    pub reading: Reading,
    /// A timestamp's time zone, if it has one (read as UTC instants: [`utc_instant`]).
    pub zone: Option<String>,
    /// The Arrow field polars-parquet decodes it as, named `name`.
    field: Field,
    /// Its chunks' places among each row group's: the leaves of its Parquet type, in the
    /// footer's order (one for a flat type).
    leaves: Range<usize>,
}

fn parquet_reader(path: &Path) -> Result<ParquetReader<File>, InputError> {
    let file = File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    Ok(ParquetReader::new(file))
}

/// A Parquet file's footer, parsed once for every column read of it.
struct Footer {
    metadata: Arc<FileMetadata>,
}

impl Footer {
    fn read(path: &Path) -> Result<Footer, InputError> {
        check_parquet_bytes(path)?;
        let metadata = parquet_reader(path)?.get_metadata().map_err(|e| parquet_error(path, e))?.clone();
        Ok(Footer { metadata })
    }

    /// About what reading a column holds: its bytes uncompressed, as the footer gives them, and
    /// 16 a row (a polars text view; twice a number). The footer's size alone is far short of
    /// it for a column of nulls or of few values, which is all runs of repeats.
    fn bytes(&self, column: &ParquetColumn) -> u64 {
        let chunks = self.metadata.row_groups.iter().flat_map(|g| chunks_of(g, column).unwrap_or_default());
        let stored: u64 = chunks.map(|chunk| chunk.uncompressed_size().max(0) as u64).sum();
        stored.saturating_add(super::CELL_BYTES * self.metadata.num_rows as u64)
    }
}

/// `column`'s chunks in row group `group`, by their places (`None`: the group has fewer).
fn chunks_of<'g>(group: &'g RowGroupMetadata, column: &ParquetColumn) -> Option<&'g [ColumnChunkMetadata]> {
    group.parquet_columns().get(column.leaves.clone())
}

/// The bytes `columns` take decoded, as [`Footer::bytes`] gives them; refused before reading
/// when more than `limit` (`[input] max_bytes` and where it came from; 0: none): a text column of long
/// values (10 KB descriptions: 400,000 rows took 4.07 GB, the footer says 4.0 GB) was read
/// until the machine ran out, where CSV text and workbooks were refused.
fn check_bytes(
    path: &Path,
    footer: &Footer,
    columns: &[&ParquetColumn],
    what: &'static str,
    limit: (u64, &str),
) -> Result<u64, InputError> {
    let sizes: Vec<(&str, u64)> = columns.iter().map(|c| (c.name.as_str(), footer.bytes(c))).collect();
    let bytes = sizes.iter().fold(0u64, |sum, (_, b)| sum.saturating_add(*b));
    if limit.0 == 0 || bytes <= limit.0 {
        return Ok(bytes);
    }
    let (largest, largest_bytes) = sizes.iter().max_by_key(|(_, b)| *b).copied().unwrap_or_default();
    Err(InputError::ColumnsTooLarge {
        path: path.to_path_buf(),
        what,
        bytes,
        largest: largest.to_string(),
        largest_bytes,
        limit: limit.0,
        origin: limit.1.to_string(),
    })
}

/// Refuses, saying what it is and what to do, a file named .parquet that is none, or not
/// whole, which polars reported as "File out of specification: The file must end with PAR1"
/// (a CSV named .parquet, a copy cut short alike). A Parquet file starts and ends with `PAR1`;
/// one whose start is Parquet's and end is not was cut short (a transfer, a writer that did
/// not finish), or its footer is encrypted (`PARE`); another start is told by its magic
/// number or as text ([`magic`]).
fn check_parquet_bytes(path: &Path) -> Result<(), InputError> {
    let io = |source| InputError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io)?;
    let head = magic::head(&mut file).map_err(io)?;
    let size = file.seek(SeekFrom::End(0)).map_err(io)?;
    let mut tail = [0u8; 4];
    if size >= 12 {
        file.seek(SeekFrom::End(-4)).and_then(|_| file.read_exact(&mut tail)).map_err(io)?;
    }
    let refuse = |detail: String| Err(parquet_error(path, detail));
    match (head.starts_with(b"PAR1"), &tail) {
        (true, b"PAR1") => Ok(()),
        (true, b"PARE") => refuse("its footer is encrypted (Parquet modular encryption), which kindred cannot read; export it without encryption".into()),
        (true, _) => refuse(format!("it starts as a Parquet file but does not end as one ({size} bytes, without the footer that says where its columns are): it is incomplete — a copy or download cut short, or a writer that did not finish; copy it again")),
        (false, _) => {
            let format = magic::sniff(&head);
            refuse(format!("it is not a Parquet file (which starts with PAR1): it appears to be {}; {}", format.what(), format.todo()))
        }
    }
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> InputError {
    InputError::Parse { path: PathBuf::from(path), detail: e.to_string() }
}

/// An Arrow type as a person reads it ("struct", "map", "list of structs", "decimal(10, 2)"):
/// a list's items named too, since a list of what is what tells the writer's column.
fn type_name(dtype: &ArrowDataType) -> String {
    use ArrowDataType as A;
    match dtype {
        A::Decimal(p, s) | A::Decimal32(p, s) | A::Decimal64(p, s) => format!("decimal({p}, {s})"),
        A::Decimal256(p, s) => format!("decimal256({p}, {s})"),
        A::Struct(_) => "struct".into(),
        A::Map(..) => "map".into(),
        A::List(items) | A::LargeList(items) => format!("list of {}", items_name(&items.dtype)),
        A::FixedSizeList(items, _) => format!("fixed-size list of {}", items_name(&items.dtype)),
        A::Dictionary(_, values, _) => format!("dictionary of {}", type_name(values)),
        A::Extension(ext) => format!("extension {} of {}", ext.name, type_name(&ext.inner)),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// A list's items as [`type_name`] names them, a nested type's in the plural ("structs",
/// "maps", "lists of int8"); a flat one's as it is ("int8").
fn items_name(dtype: &ArrowDataType) -> String {
    use ArrowDataType as A;
    let name = type_name(dtype);
    if !matches!(
        dtype,
        A::Struct(_) | A::Map(..) | A::List(_) | A::LargeList(_) | A::FixedSizeList(..) | A::Dictionary(..)
    ) {
        return name;
    }
    let (kind, of) = name.split_once(" of ").map_or((name.as_str(), None), |(kind, of)| (kind, Some(of)));
    let kinds = match kind.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{kind}s"),
    };
    match of {
        Some(of) => format!("{kinds} of {of}"),
        None => kinds,
    }
}

/// How a column of Arrow type `dtype` is read (see the module's doc). Lists of flat values are
/// read by polars, so that a list the roles map is refused by the role parsers naming the type.
fn reading(dtype: &ArrowDataType) -> Reading {
    use ArrowDataType as A;
    match dtype {
        A::Null
        | A::Boolean
        | A::Int32
        | A::Int64
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Timestamp(..)
        | A::Date32
        | A::Date64
        | A::Time32(_)
        | A::Time64(_)
        | A::Duration(_)
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_)
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View => Reading::Polars,
        A::Dictionary(_, values, _) if reading(values) == Reading::Polars => Reading::Polars,
        A::List(inner) | A::LargeList(inner) if reading(&inner.dtype) == Reading::Polars => Reading::Polars,
        A::Decimal(_, s) | A::Decimal32(_, s) | A::Decimal64(_, s) | A::Decimal256(_, s) => {
            Reading::Decimal { scale: *s }
        }
        A::Int8 | A::Int16 | A::UInt8 | A::UInt16 => Reading::Narrow,
        _ => Reading::Never,
    }
}

/// A Parquet file as its footer describes it: the footer, read once for every read of the
/// file, and its columns.
pub(super) struct ParquetFile {
    footer: Footer,
    pub columns: Vec<ParquetColumn>,
    /// What was renamed of a name the file holds twice, or of a blank one, as a CSV's header
    /// says it ([`unique_header`]).
    pub renamed: Option<String>,
}

/// A Parquet file's columns, from its footer (no data is read), in the footer's order. Their
/// names are made unique as a CSV header's are ([`unique_header`]: the second `Country` is read
/// as `Country.1`), and one of `mapped` the file holds twice is refused as a CSV's is (which
/// of them holds the role is not for kindred to guess).
pub(super) fn parquet_columns(path: &Path, mapped: &[&String]) -> Result<ParquetFile, InputError> {
    let footer = Footer::read(path)?;
    let stored = footer.metadata.schema().fields();
    let (names, renamed) = unique_header(stored.iter().map(|t| t.name().to_string()).collect(), mapped)
        .map_err(|column| InputError::DuplicateHeader { path: path.to_path_buf(), column })?;
    let fields = arrow_fields(&footer.metadata).map_err(|e| parquet_error(path, e))?;
    let mut leaf = 0;
    let columns = stored
        .iter()
        .zip(fields)
        .zip(names)
        .map(|((stored, (field, written)), name)| {
            let leaves = leaf..leaf + leaf_count(stored);
            leaf = leaves.end;
            let uuid = is_uuid(stored);
            // decoded as the 16 bytes it is stored as, whatever extension its Arrow schema names
            let field = match uuid {
                true => Field { dtype: ArrowDataType::FixedSizeBinary(16), ..field },
                false => field,
            };
            ParquetColumn {
                dtype: if uuid { "uuid".to_string() } else { type_name(&written) },
                reading: if uuid { Reading::Uuid } else { reading(&field.dtype) },
                zone: match &field.dtype {
                    ArrowDataType::Timestamp(_, Some(zone)) => Some(zone.to_string()),
                    _ => None,
                },
                field: Field { name: name.as_str().into(), ..field },
                name,
                leaves,
            }
        })
        .collect();
    Ok(ParquetFile { footer, columns, renamed })
}

/// Each of the file's columns' Arrow field, by its position, and the Arrow type its writer
/// wrote it as (for the messages naming it). The field is the footer's `ARROW:schema` entry
/// where its writer left one (pyarrow, polars, DuckDB), as polars reads it, else its Parquet
/// type's (Spark, fastparquet, Hive write none), as polars infers it. `ARROW:schema` is a map
/// by name, holding one of a name the file holds twice: such a column takes its Parquet type's.
/// The type written is that entry as written ([`written_schema`]), else the Parquet type's with
/// its maps kept ([`maps_kept`]): as polars reads them, a map is the list of key-value structs
/// it is stored as, and a mapped one was refused as "type list".
fn arrow_fields(metadata: &FileMetadata) -> PolarsResult<Vec<(Field, ArrowDataType)>> {
    let stored = metadata.schema().fields();
    let mut held: HashMap<&str, usize> = HashMap::new();
    for t in stored {
        *held.entry(t.name()).or_default() += 1;
    }
    let as_read = read_schema_from_metadata(&mut read_custom_key_value_metadata(metadata.key_value_metadata()))?;
    let as_written = written_schema(metadata);
    let fields = stored.iter().map(|t| {
        let entry = |schema: &Option<ArrowSchema>| {
            schema.as_ref().filter(|_| held.get(t.name()) == Some(&1)).and_then(|s| s.get(t.name())).cloned()
        };
        // a group of no columns has no Arrow type: never read
        let none = || Field::new(t.name().into(), ArrowDataType::Struct(vec![]), true);
        let read = entry(&as_read).or_else(|| stored_field(t)).unwrap_or_else(none);
        let written = entry(&as_written).or_else(|| stored_field(&maps_kept(t)));
        let written = written.map_or_else(|| read.dtype.clone(), |f| f.dtype);
        (read, written)
    });
    Ok(fields.collect())
}

/// The Arrow field of a Parquet type, as polars infers it without the footer's `ARROW:schema`.
fn stored_field(stored: &ParquetType) -> Option<Field> {
    parquet_to_arrow_schema(std::slice::from_ref(stored)).into_iter_values().next()
}

/// The footer's `ARROW:schema` as its writer wrote it: polars' reading of it
/// (`read_schema_from_metadata`) makes a map the list it is stored as and a dictionary of
/// numbers its numbers. `None` without one, or with one that does not decode (polars' reading
/// then says so). Framed as Arrow's IPC stream frames a message, a continuation marker and a
/// length first (`write::arrow_schema_key`), or not, as older writers left it.
fn written_schema(metadata: &FileMetadata) -> Option<ArrowSchema> {
    use base64::Engine as _;
    let key_values = metadata.key_value_metadata().as_ref()?;
    let value = key_values.iter().find(|kv| kv.key == "ARROW:schema")?.value.as_ref()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let message = match bytes.strip_prefix(&[255u8; 4]) {
        Some(framed) => framed.get(4..)?,
        None => &bytes,
    };
    polars_arrow::io::ipc::read::deserialize_schema(message).ok().map(|(schema, ..)| schema)
}

/// A Parquet type with each map in it annotated as older writers annotate one (`MAP`, no
/// logical type), the one annotation polars infers an Arrow map from: a group of logical type
/// `MAP` is inferred as the list of key-value structs it is stored as.
fn maps_kept(stored: &ParquetType) -> ParquetType {
    let ParquetType::GroupType { field_info, logical_type, converted_type, fields } = stored else {
        return stored.clone();
    };
    let map = matches!(logical_type, Some(GroupLogicalType::Map))
        || matches!(converted_type, Some(GroupConvertedType::Map | GroupConvertedType::MapKeyValue));
    ParquetType::GroupType {
        field_info: field_info.clone(),
        logical_type: if map { None } else { *logical_type },
        converted_type: if map { Some(GroupConvertedType::Map) } else { *converted_type },
        fields: fields.iter().map(maps_kept).collect(),
    }
}

/// How many leaves (column chunks in each row group) a Parquet type has: one for a flat type,
/// its fields' for a group, in the footer's depth-first order.
fn leaf_count(stored: &ParquetType) -> usize {
    match stored {
        ParquetType::PrimitiveType(_) => 1,
        ParquetType::GroupType { fields, .. } => fields.iter().map(leaf_count).sum(),
    }
}

/// Reads `columns` of a Parquet file, in the order given, each on its own ([`read_column`]),
/// in parallel as polars' reader read them. The callers leave out the columns never read (this
/// refuses them).
fn read_parquet(
    path: &Path,
    footer: &Footer,
    columns: &[&ParquetColumn],
    missing: &Missing,
) -> Result<DataFrame, InputError> {
    if let Some(c) = columns.iter().find(|c| c.reading == Reading::Never) {
        return Err(never_read(path, c, "a column"));
    }
    let read: Vec<Column> = columns.par_iter().map(|c| read_column(path, footer, c)).collect::<Result<_, _>>()?;
    // the frame made once from its columns: a column added at a time (`with_column`) rebuilt
    // its schema each time, quadratic in a footer of thousands
    let frame = DataFrame::new_infer_height(read).map_err(|e| parquet_error(path, e))?;
    missing.apply(frame).map_err(|e| parquet_error(path, e))
}

/// One column of a Parquet file as its [`Reading`] reads it, categories as text and zoned
/// instants as UTC's.
fn read_column(path: &Path, footer: &Footer, column: &ParquetColumn) -> Result<Column, InputError> {
    let read = match column.reading {
        Reading::Decimal { scale } => read_decimal(path, footer, column, scale)?,
        Reading::Narrow => read_narrow(path, footer, column)?,
        Reading::Polars | Reading::Never => read_arrow(path, footer, column)?,
        Reading::Uuid => uuid_text(read_arrow(path, footer, column)?, path)?,
    };
    utc_instant(plain_text(read, path)?, path)
}

/// One column as polars holds its Arrow type: its arrays made a column as polars' own Parquet
/// reader makes one (a dictionary of text a categorical, text as views).
fn read_arrow(path: &Path, footer: &Footer, column: &ParquetColumn) -> Result<Column, InputError> {
    let mut arrays = Vec::new();
    decode_column(path, footer, column, |array| {
        arrays.push(array);
        Ok(())
    })?;
    if arrays.is_empty() {
        // a file of no row groups: a column of no rows (refused as such by the report)
        arrays.push(polars_arrow::array::new_empty_array(column.field.dtype.clone()));
    }
    let series = Series::try_from((&column.field, arrays));
    series.map(Series::into_column).map_err(|e| parquet_error(path, format!("column '{}': {e}", column.name)))
}

/// True for a flat column of Parquet's UUID logical type (16 bytes a value).
fn is_uuid(stored: &ParquetType) -> bool {
    use polars_parquet::parquet::schema::types::PrimitiveLogicalType;
    matches!(stored, ParquetType::PrimitiveType(p) if p.logical_type == Some(PrimitiveLogicalType::Uuid))
}

/// A UUID column's 16-byte values as their canonical text ([`Reading::Uuid`]).
fn uuid_text(column: Column, path: &Path) -> Result<Column, InputError> {
    let bytes = column.binary().map_err(|e| parquet_error(path, e))?;
    let mut uuids = StringChunkedBuilder::new(column.name().clone(), bytes.len());
    let mut text = String::with_capacity(36);
    for value in bytes.iter() {
        let Some(value) = value else {
            uuids.append_null();
            continue;
        };
        text.clear();
        for (at, byte) in value.iter().enumerate() {
            if matches!(at, 4 | 6 | 8 | 10) {
                text.push('-');
            }
            let _ = write!(text, "{byte:02x}");
        }
        uuids.append_value(&text);
    }
    Ok(uuids.finish().into_column())
}

/// A zoned timestamp (pandas' `datetime64[ns, Europe/Berlin]`, Spark's TIMESTAMP) as its UTC
/// instants, which Parquet stores: the zone is dropped, never the offset (as a text date's
/// offset is applied). polars would need its `timezones` feature (chrono-tz) just to show them.
fn utc_instant(column: Column, path: &Path) -> Result<Column, InputError> {
    let DataType::Datetime(unit, Some(_)) = column.dtype() else { return Ok(column) };
    let unit = *unit;
    let instants = column.as_materialized_series().to_physical_repr();
    let instants = instants.i64().map_err(|e| parquet_error(path, e))?.clone();
    Ok(instants.into_datetime(unit, None).into_column())
}

fn never_read(path: &Path, column: &ParquetColumn, role: &str) -> InputError {
    InputError::ColumnType {
        path: path.to_path_buf(),
        column: column.name.clone(),
        role: role.to_string(),
        dtype: column.dtype.clone(),
    }
}

/// `e` said as what it is when it is a mapped column the read columns lack that the file holds
/// in a type no role reads (found as the mapping finds a header's, case and punctuation
/// aside): `kindred audit` noted a customer id stored as a struct as "column 'CustomerID' not
/// found …; columns are: StockCode, Quantity", where `kindred run` refuses it naming its type.
pub(super) fn never_read_mapped(path: &Path, columns: &[ParquetColumn], e: InputError) -> InputError {
    let InputError::ColumnMissing { column, role, .. } = &e else { return e };
    let never: Vec<String> = columns.iter().filter(|c| c.reading == Reading::Never).map(|c| c.name.clone()).collect();
    let found = find_column(&never, column).ok().flatten();
    match found.and_then(|name| columns.iter().find(|c| &c.name == name)) {
        Some(c) => never_read(path, c, role),
        None => e,
    }
}

/// Dictionary-encoded text (polars' categorical and Enum) as plain text: the roles read text.
/// Each category's text is made once and the rows are views of it (`take` shares the buffer):
/// polars' cast copies it into every row, so 400,000 rows of fifty 10 KB descriptions, 10 MB
/// on disk (`pyarrow` writes a pandas categorical so), took 4.0 GB.
fn plain_text(column: Column, path: &Path) -> Result<Column, InputError> {
    let err = |e| parquet_error(path, e);
    // text stored as bytes without the UTF8 annotation, as Impala (its long default), older
    // Hive and Spark before 1.5 write it (Spark's own `binaryAsString` reads it so): refused,
    // "type binary", as every id column of such a file was (helper-99). Bytes that are not all
    // UTF-8 text stay bytes.
    if let DataType::Binary = column.dtype() {
        let bytes = column.binary().map_err(err)?;
        if !bytes.iter().flatten().all(|b| std::str::from_utf8(b).is_ok()) {
            return Ok(column);
        }
        let text: StringChunked = bytes.iter().map(|b| b.and_then(|b| std::str::from_utf8(b).ok())).collect();
        return Ok(text.with_name(column.name().clone()).into_column());
    }
    // polars' Enum is a categorical with fixed categories, but not `is_categorical`
    let (DataType::Categorical(_, mapping) | DataType::Enum(_, mapping)) = column.dtype() else {
        return Ok(column);
    };
    // each width's codes read as they are (a Series of u8 or u16 needs polars features)
    let ids: Vec<Option<u32>> = match (column.cat32(), column.cat16(), column.cat8()) {
        (Ok(c), _, _) => c.physical().iter().collect(),
        (_, Ok(c), _) => c.physical().iter().map(|id| id.map(u32::from)).collect(),
        (_, _, c) => c.map_err(err)?.physical().iter().map(|id| id.map(u32::from)).collect(),
    };
    let mut texts = StringChunkedBuilder::new(column.name().clone(), 0);
    let mut at: std::collections::HashMap<u32, IdxSize> = std::collections::HashMap::new();
    let mut text_of = |id: u32| {
        let next = at.len() as IdxSize;
        *at.entry(id).or_insert_with(|| {
            texts.append_option(mapping.cat_to_str(id));
            next
        })
    };
    let rows: IdxCa = ids.into_iter().map(|id| id.map(&mut text_of)).collect();
    let texts = texts.finish();
    Ok(texts.take(&rows).map_err(err)?.into_column())
}

/// One column, each row group's chunks (its leaves') decoded by polars-parquet into Arrow
/// arrays, as polars' reader decodes them, each array handed to `each` in file order. Every
/// way a chunk fails to read — its bytes not where the footer says, a page header, a page that
/// does not decompress (snappy's "corrupt input", zstd's "Data corruption detected") or decode,
/// fewer values than the row group's rows, a panic in the decoder — is said here, the one place
/// every column is read through, naming the column and its row group: the decoder's own words
/// named neither, nor said that the file is damaged.
fn decode_column(
    path: &Path,
    footer: &Footer,
    column: &ParquetColumn,
    mut each: impl FnMut(Box<dyn Array>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let io = |source| InputError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let groups = &footer.metadata.row_groups;
    for (at, group) in groups.iter().enumerate() {
        let damaged = |detail: String| InputError::DamagedColumn {
            path: path.to_path_buf(),
            column: column.name.clone(),
            group: at + 1,
            groups: groups.len(),
            detail,
        };
        let arrays = decode_chunks(&mut file, size, group, column).map_err(damaged)?;
        let values: usize = arrays.iter().map(|a| a.len()).sum();
        if values != group.num_rows() {
            return Err(damaged(format!("{values} values where the footer says {} rows", group.num_rows())));
        }
        for array in arrays {
            each(array)?;
        }
    }
    Ok(())
}

/// `column`'s chunks in row group `group` of the file (`size` bytes) decoded, or what went
/// wrong, in words.
fn decode_chunks(
    file: &mut File,
    size: u64,
    group: &RowGroupMetadata,
    column: &ParquetColumn,
) -> Result<Vec<Box<dyn Array>>, String> {
    let chunks = chunks_of(group, column).ok_or("the footer lists fewer chunks than the schema has columns")?;
    let mut pages = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let range = chunk.byte_range();
        if range.start > range.end || range.end > size {
            return Err(format!(
                "the footer places it at bytes {}..{}, beyond the file's {size} bytes",
                range.start, range.end
            ));
        }
        let mut bytes = vec![0u8; (range.end - range.start) as usize];
        file.seek(SeekFrom::Start(range.start)).and_then(|_| file.read_exact(&mut bytes)).map_err(|e| e.to_string())?;
        check_pages(&bytes, chunk)?;
        let reader = PageReader::new(Cursor::new(bytes.into()), chunk, vec![], usize::MAX);
        pages.push(BasicDecompressor::new(reader, vec![]));
    }
    let kinds: Vec<&PrimitiveType> = chunks.iter().map(|c| &c.descriptor().descriptor.primitive_type).collect();
    let field = match kinds.as_slice() {
        [kind] => wide_decimal(&column.field, kind),
        _ => column.field.clone(),
    };
    let levels = &chunks[0].descriptor().descriptor;
    // a flat INT96 timestamp is decoded here (`decode_int96`), every other chunk by polars-parquet
    let int96 = kinds.len() == 1 && kinds[0].physical_type == PhysicalType::Int96 && levels.max_rep_level == 0;
    let max_def = levels.max_def_level;
    // a damaged page may panic inside the decoder (an index out of range) instead of failing
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match (int96, pages.pop()) {
        (true, Some(pages)) => decode_int96(pages, max_def, &field.dtype).map(|array| vec![array]),
        (_, last) => {
            pages.extend(last);
            column_iter_to_arrays(pages, kinds, field, None).map(|(arrays, _)| arrays).map_err(|e| e.to_string())
        }
    }));
    decoded.unwrap_or_else(|panic| Err(crate::error::panic_text(&*panic)))
}

/// A chunk's page headers read before polars-parquet decodes it, so that a damaged one is said
/// before it costs memory: polars-parquet's decompressor allocates what a page header claims
/// uncompressed before anything fails, and one damaged byte of its Thrift varint can claim up to
/// 2 GB (a container with a smaller memory limit was killed where the run should have said the
/// file is damaged). A page claiming more than the footer's uncompressed size of its whole chunk,
/// or more bytes than the chunk holds, is damage. Headers are walked as polars-parquet walks them:
/// until the chunk's values are counted, or its bytes end.
///
/// The pages' CRCs are not checked: no common reader checks them by default (Arrow C++ on request),
/// and a writer's wrong one would refuse a file every BI client reads.
fn check_pages(bytes: &[u8], chunk: &ColumnChunkMetadata) -> Result<(), String> {
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    use polars_parquet_format::PageHeader;
    // a writer that left the footer's size out (0) has its pages bounded by the chunk's bytes alone
    let whole = u64::try_from(chunk.uncompressed_size()).unwrap_or(0);
    let mut reader = Cursor::new(bytes);
    let mut values = 0i64;
    while (reader.position() as usize) < bytes.len() && values < chunk.num_values() {
        let mut protocol = TCompactInputProtocol::new(&mut reader, bytes.len());
        let header = PageHeader::read_from_in_protocol(&mut protocol)
            .map_err(|e| format!("a page header does not read ({e})"))?;
        let start = reader.position() as usize;
        let stored = usize::try_from(header.compressed_page_size).ok().filter(|n| *n <= bytes.len() - start);
        let Some(stored) = stored else {
            let left = bytes.len() - start;
            return Err(format!(
                "a page header claims {} bytes where the chunk has {left} left",
                header.compressed_page_size
            ));
        };
        let claimed = header.uncompressed_page_size;
        if claimed < 0 || (whole > 0 && claimed as u64 > whole) {
            return Err(format!(
                "a page header claims {claimed} bytes uncompressed, where the footer gives the whole chunk {whole}"
            ));
        }
        values += match (&header.data_page_header, &header.data_page_header_v2) {
            (Some(v1), _) => i64::from(v1.num_values),
            (_, Some(v2)) => i64::from(v2.num_values),
            _ => 0,
        };
        reader.set_position((start + stored) as u64);
    }
    Ok(())
}

/// An INT96 timestamp chunk (Impala's, Hive's and Spark's default; fastparquet's
/// `times="int96"`), decoded here page by page: polars-parquet refuses a page whose values are
/// not a whole number of 12 bytes ("Page content does not align with expected element size"),
/// and fastparquet writes each page 8 bytes longer than its values. Read as pyarrow, DuckDB and
/// Spark read it: the values its definition levels count (up to `max_def`), PLAIN or from the
/// chunk's dictionary, as instants of `dtype`'s unit.
fn decode_int96(mut pages: BasicDecompressor, max_def: i16, dtype: &ArrowDataType) -> Result<Box<dyn Array>, String> {
    let ArrowDataType::Timestamp(unit, _) = dtype else {
        return Err(format!("INT96 values read as {dtype:?}"));
    };
    let text = |e: polars_parquet::parquet::error::ParquetError| e.to_string();
    let dictionary = match pages.read_dict_page().map_err(text)? {
        Some(page) => Some(int96_values(&page.buffer, page.num_values, *unit)?),
        None => None,
    };
    let mut values: Vec<Option<i64>> = Vec::with_capacity(pages.total_num_values());
    while let Some(item) = pages.next() {
        let page = item.and_then(|item| item.decompress(&mut pages)).map_err(text)?;
        let split = split_buffer(&page).map_err(text)?;
        let defined: Vec<bool> = match max_def {
            0 => vec![true; page.num_values()],
            _ => {
                let bits = u32::BITS - (max_def as u32).leading_zeros();
                let levels = HybridRleDecoder::new(split.def, bits, page.num_values()).collect().map_err(text)?;
                levels.into_iter().map(|level| level == max_def as u32).collect()
            }
        };
        let present = defined.iter().filter(|&&d| d).count();
        let stored = match (page.encoding(), &dictionary) {
            (Encoding::Plain, _) => int96_values(split.values, present, *unit)?,
            (Encoding::PlainDictionary | Encoding::RleDictionary, Some(dictionary)) => {
                let (&bits, indices) = split.values.split_first().ok_or("a dictionary page of no values")?;
                let indices = HybridRleDecoder::new(indices, bits.into(), present).collect().map_err(text)?;
                let entry = |i: u32| dictionary.get(i as usize).copied().ok_or("an index beyond its dictionary");
                indices.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?
            }
            (encoding, _) => return Err(format!("INT96 values encoded {encoding:?}")),
        };
        let mut stored = stored.into_iter();
        values.extend(defined.into_iter().map(|d| if d { stored.next().flatten() } else { None }));
    }
    Ok(PrimitiveArray::<i64>::from(values).to(dtype.clone()).boxed())
}

/// The first `count` 12-byte INT96 values of `bytes` (any bytes after them left), each its
/// Julian day and nanoseconds of the day as an instant in `unit` since the epoch, as
/// polars-parquet reckons them (`None` for one beyond what 64 bits hold in that unit).
fn int96_values(
    bytes: &[u8],
    count: usize,
    unit: polars_arrow::datatypes::TimeUnit,
) -> Result<Vec<Option<i64>>, String> {
    use polars_arrow::datatypes::TimeUnit as U;
    let held = bytes.len();
    let bytes = bytes.get(..count * 12).ok_or_else(|| format!("{count} INT96 values in {held} bytes"))?;
    let per_second: i64 = match unit {
        U::Second => 1,
        U::Millisecond => 1_000,
        U::Microsecond => 1_000_000,
        U::Nanosecond => 1_000_000_000,
    };
    let instant = |b: &[u8]| {
        let nanos = i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let day = i64::from(u32::from_le_bytes([b[8], b[9], b[10], b[11]]));
        // Julian day 2,440,588 is 1970-01-01
        let seconds = (day - 2_440_588).checked_mul(86_400 * per_second)?;
        seconds.checked_add(nanos / (1_000_000_000 / per_second))
    };
    Ok(bytes.chunks_exact(12).map(instant).collect())
}

/// `field` as polars-parquet decodes a chunk of `kind`: a decimal stored in more than 16 bytes
/// as a 256-bit one. Its footer's type says `decimal(76, 38)` (BigQuery's BIGNUMERIC, any
/// writer's precision above 38, written without an Arrow schema), which polars-parquet refuses
/// to decode from more than 16 bytes ("can't decode Decimal128"): such a column, mapped or
/// not, failed the run.
fn wide_decimal(field: &Field, kind: &PrimitiveType) -> Field {
    match (&field.dtype, kind.physical_type) {
        (ArrowDataType::Decimal(p, s), PhysicalType::FixedLenByteArray(n)) if n > 16 => {
            Field { dtype: ArrowDataType::Decimal256(*p, *s), ..field.clone() }
        }
        _ => field.clone(),
    }
}

/// One decimal column as exact text: unscaled 178_5000 at scale 2 is "17850.00". A 256-bit
/// decimal (pyarrow's `decimal256`, a precision above 38) is read as exactly: it was refused
/// as a type no role reads.
fn read_decimal(path: &Path, footer: &Footer, column: &ParquetColumn, scale: usize) -> Result<Column, InputError> {
    let name = &column.name;
    let mut values = StringChunkedBuilder::new(name.as_str().into(), 0);
    let mut text = String::new();
    decode_column(path, footer, column, |array| {
        let any = array.as_any();
        if let Some(decimals) = any.downcast_ref::<PrimitiveArray<i128>>() {
            for v in decimals.iter() {
                values.append_option(v.map(|v| decimal_into(&mut text, v.unsigned_abs(), *v < 0, scale)));
            }
        } else if let Some(decimals) = any.downcast_ref::<PrimitiveArray<i256>>() {
            for v in decimals.iter() {
                values.append_option(v.map(|v| decimal_into(&mut text, v.0.unsigned_abs(), v.0.is_negative(), scale)));
            }
        } else {
            return Err(parquet_error(path, format!("column '{name}': its decimals did not decode")));
        }
        Ok(())
    })?;
    Ok(values.finish().into_column())
}

/// One 8- or 16-bit integer column (signed or not), widened to Int32: every value fits.
fn read_narrow(path: &Path, footer: &Footer, column: &ParquetColumn) -> Result<Column, InputError> {
    fn widen<T: polars_arrow::types::NativeType + Into<i32>>(array: &dyn Array, out: &mut Vec<Option<i32>>) -> bool {
        let Some(array) = array.as_any().downcast_ref::<PrimitiveArray<T>>() else { return false };
        out.extend(array.iter().map(|v| v.map(|v| (*v).into())));
        true
    }
    let name = &column.name;
    let mut values = Vec::new();
    decode_column(path, footer, column, |array| {
        let array = array.as_ref();
        let read = widen::<i8>(array, &mut values)
            || widen::<i16>(array, &mut values)
            || widen::<u8>(array, &mut values)
            || widen::<u16>(array, &mut values);
        match read {
            true => Ok(()),
            false => Err(parquet_error(path, format!("column '{name}': its integers did not decode"))),
        }
    })?;
    Ok(Int32Chunked::from_iter_options(name.as_str().into(), values.into_iter()).into_column())
}

/// Writes the exact text of the unscaled value `magnitude` (negative or not) × 10^-`scale`
/// into `out` ("-0.05" for −5 at scale 2), reusing its buffer: no allocation per value (a
/// fresh `String` each was 2.7 M allocations and most of the decimal column's read time). A
/// whole number is written without its zeros ("17850" for 1785000 at scale 2), as a float's
/// [`crate::roles::number_text`] is: a code or an id reads the same from a decimal, a float or
/// an integer column (a decimal(12, 3) customer 19 read as the text "19.000", which an id's
/// reading keeps as a possible thousands group, and became a text id). Any width of integer
/// (128 or 256 bits) through its digits.
fn decimal_into(out: &mut String, magnitude: impl std::fmt::Display, negative: bool, scale: usize) -> &str {
    use std::fmt::Write;
    out.clear();
    if negative {
        out.push('-');
    }
    let _ = write!(out, "{magnitude:0>width$}", width = scale + 1);
    let fraction = out.len() - scale;
    if out[fraction..].bytes().all(|b| b == b'0') {
        // a whole number: padded only when 0 ("000" at scale 2 is "0")
        out.truncate(fraction);
    } else {
        out.insert(fraction, '.');
    }
    out
}

/// What [`read_parquet_roles`] read: the roles' columns, every readable column's null count
/// in file order, every such column's look (with [`HEAD_ROWS`] rows), and a note for each
/// column left unread.
pub(super) struct RolesRead {
    pub frame: DataFrame,
    pub nulls: Vec<(String, usize)>,
    pub look: Look,
    pub notes: Vec<String>,
}

/// Reads the `parsed` columns of a Parquet file (each with the role that reads it), and the
/// null count of every column it can read, in file order, with a note for each it cannot (a
/// type no role reads, left unread). The other columns are read for their count and dropped
/// before the parsed ones are read: at a million customers a text column the roles never read
/// (Country) is 0.8 GB that would otherwise sit beside the table through audit and clean. They
/// are read in batches of at most the parsed columns' bytes (or one column, when it is larger),
/// as the footer gives them uncompressed: reading them holds no more than the table will, and
/// a footer of thousands of columns is not walked once per column.
pub(super) fn read_parquet_roles(
    path: &Path,
    file: &ParquetFile,
    parsed: &[(&String, &str)],
    missing: &Missing,
    limit: (u64, &str),
) -> Result<RolesRead, InputError> {
    let (footer, columns) = (&file.footer, &file.columns);
    let mut nulls = Vec::with_capacity(columns.len());
    let mut looks = Vec::with_capacity(columns.len());
    let mut notes = Vec::new();
    let parsed_names: std::collections::HashSet<&str> = parsed.iter().map(|(name, _)| name.as_str()).collect();
    let (others, never): (Vec<&ParquetColumn>, Vec<&ParquetColumn>) =
        columns.iter().filter(|c| !parsed_names.contains(c.name.as_str())).partition(|c| c.reading != Reading::Never);
    notes.extend(never.into_iter().map(|c| not_audited(c, "no role maps it, and ")));
    let wanted = mapped_columns(path, columns, parsed, &mut notes)?;
    // the unmapped columns are read in batches of at most what the mapped ones take
    let budget = check_bytes(path, footer, &wanted, "the mapped ones", limit)?;
    for batch in batches(&others, budget, |c| footer.bytes(c)) {
        let frame = read_parquet(path, footer, batch, missing)?;
        nulls.extend(null_counts(&frame));
        looks.extend(frame.columns().iter().map(|c| look::of_column(c, HEAD_ROWS)));
    }
    let frame = read_parquet(path, footer, &wanted, missing)?;
    nulls.extend(null_counts(&frame));
    looks.extend(frame.columns().iter().map(|c| look::of_column(c, HEAD_ROWS)));
    let at: std::collections::HashMap<&str, usize> =
        columns.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let order = |name: &String| at.get(name.as_str()).copied();
    nulls.sort_by_key(|(name, _)| order(name));
    looks.sort_by_key(|(l, _)| order(&l.column));
    Ok(RolesRead { frame, nulls, look: Look::from_columns(looks), notes })
}

/// The `parsed` columns (each with the role that reads it) among `columns`, in that order; one
/// of a type no role reads refused, naming the role. A zoned timestamp's note is added to
/// `notes` where its zone changes what the role reads.
fn mapped_columns<'c>(
    path: &Path,
    columns: &'c [ParquetColumn],
    parsed: &[(&String, &str)],
    notes: &mut Vec<String>,
) -> Result<Vec<&'c ParquetColumn>, InputError> {
    let mut wanted = Vec::with_capacity(parsed.len());
    for (name, role) in parsed {
        let c = columns.iter().find(|c| c.name == **name);
        let c = c.ok_or_else(|| parquet_error(path, format!("no column '{name}' in the footer")))?;
        if c.reading == Reading::Never {
            return Err(never_read(path, c, role));
        }
        if let Some(zone) = c.zone.as_ref().filter(|_| *role == "row_filter") {
            notes.push(format!(
                "column '{name}' holds timestamps in time zone {zone}, read as UTC instants: [clean] exclude_rows / keep_rows compare them in UTC (`2024-02-29 23:30:00` for Berlin's 2024-03-01 00:30), not in the zone's wall time a CSV of them shows"
            ));
        }
        if *role == "date" {
            notes.extend(date_zone_note(c));
        }
        wanted.push(c);
    }
    Ok(wanted)
}

/// The note for a date column `c` of timestamps in a time zone other than UTC: read as UTC
/// instants. A run's roles and `kindred audit` (which maps the columns after reading them all:
/// it said nothing, helper-124) both say it.
pub(super) fn date_zone_note(c: &ParquetColumn) -> Option<String> {
    let zone = c.zone.as_ref().filter(|z| !matches!(z.as_str(), "UTC" | "Etc/UTC" | "+00:00" | "Z"))?;
    Some(format!(
        "column '{}' holds timestamps in time zone {zone}, read as UTC instants (kindred carries no time-zone database): the audit, windows, days and `kindred evaluate --cutoff` are in UTC, not in the zone's wall time a CSV of them shows (`2024-02-29 23:30:00` for Berlin's 2024-03-01 00:30)",
        c.name
    ))
}

/// `items` in order, cut into runs of at most `budget` bytes each (`bytes` of an item), or one
/// item, when it alone is more.
fn batches<T>(items: &[T], budget: u64, bytes: impl Fn(&T) -> u64) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let (mut start, mut held) = (0, 0u64);
    for (i, item) in items.iter().enumerate() {
        let size = bytes(item);
        if i > start && held.saturating_add(size) > budget {
            runs.push(&items[start..i]);
            (start, held) = (i, 0);
        }
        held = held.saturating_add(size);
    }
    if start < items.len() {
        runs.push(&items[start..]);
    }
    runs
}

/// The frame with the quantity's column (`quantity`, as resolved) as numbers when the file
/// holds it as decimals, which are read as their exact text: a decimal is a number exactly as
/// that text reads, never text whose marks its column or `[input] decimal` (set for a CSV's
/// "1.000,5") would read otherwise ("6.000" of a decimal(10, 3) read 6000 under `decimal =
/// ","`).
pub(super) fn decimal_quantity(
    mut frame: DataFrame,
    columns: &[ParquetColumn],
    quantity: Option<&String>,
    path: &Path,
) -> Result<DataFrame, InputError> {
    let decimal = |q: &&String| columns.iter().any(|c| c.name == **q && matches!(c.reading, Reading::Decimal { .. }));
    if let Some(q) = quantity.filter(decimal) {
        let number = frame.column(q).and_then(|t| t.cast(&DataType::Float64)).map_err(|e| parquet_error(path, e))?;
        frame.with_column(number).map_err(|e| parquet_error(path, e))?;
    }
    Ok(frame)
}

/// Every column of a Parquet file kindred can read (`kindred audit`), with a note for each
/// it cannot.
pub(super) fn read_parquet_all(
    path: &Path,
    file: &ParquetFile,
    missing: &Missing,
    limit: (u64, &str),
) -> Result<(DataFrame, Vec<String>), InputError> {
    let (readable, never): (Vec<&ParquetColumn>, Vec<&ParquetColumn>) =
        file.columns.iter().partition(|c| c.reading != Reading::Never);
    check_bytes(path, &file.footer, &readable, "every column, as kindred audit reads them", limit)?;
    // (read before the roles resolve: whether a role maps it is not known here)
    let notes = never.into_iter().map(|c| not_audited(c, "")).collect();
    Ok((read_parquet(path, &file.footer, &readable, missing)?, notes))
}

/// The note for a column of a type no role reads; `unmapped` says that no role maps it, when
/// that is known.
fn not_audited(column: &ParquetColumn, unmapped: &str) -> String {
    format!(
        "column '{}' (type {}) was not read: {unmapped}kindred reads no role from that type",
        column.name, column.dtype
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Columns, Encoding, InputConfig};
    use crate::ingest::{column_names, read, run, AllColumns, HEAD_ROWS};

    /// A categorical's rows read as the texts they name, each text held once: polars' own cast
    /// copied it into every row (fifty 10 KB descriptions on 400,000 rows: 4.0 GB).
    #[test]
    fn categorical_text_is_read_with_each_category_held_once() {
        let long = |c: char| c.to_string().repeat(1000);
        let values: Vec<Option<String>> =
            (0..300).map(|r| (r % 7 != 3).then(|| long(['a', 'b', 'c'][r % 3]))).collect();
        let names = [long('c'), long('a'), long('b')];
        let kinds = [
            DataType::from_categories(Categories::global()),
            // an Enum of few categories: 8-bit codes (a pandas categorical read back from Parquet)
            DataType::from_frozen_categories(FrozenCategories::new(names.iter().map(String::as_str)).unwrap()),
        ];
        for kind in kinds {
            let column = Column::new("d".into(), &values).cast(&kind).unwrap();
            assert!(column.dtype().is_categorical() || column.dtype().is_enum());
            let text = plain_text(column, Path::new("x.parquet")).unwrap();
            assert_eq!(text.dtype(), &DataType::String);
            let read: Vec<Option<String>> = text.str().unwrap().iter().map(|v| v.map(String::from)).collect();
            assert_eq!(read, values);
            let held: usize = text.str().unwrap().downcast_iter().map(|a| a.total_buffer_len()).sum();
            assert!(held <= 3 * 1000, "{kind:?}: {held} bytes held for 3 distinct texts");
        }
        let plain = Column::new("p".into(), &values);
        assert!(plain_text(plain.clone(), Path::new("x.parquet")).unwrap().equals_missing(&plain));
    }

    #[test]
    fn each_arrow_type_is_read_by_what_can_read_it() {
        use polars_arrow::datatypes::{ArrowDataType as A, Field, IntegerType};
        let field = |dtype: A| Box::new(Field::new("x".into(), dtype, true));
        assert_eq!(reading(&A::UInt64), Reading::Polars);
        assert_eq!(reading(&A::Dictionary(IntegerType::Int32, Box::new(A::Utf8), false)), Reading::Polars);
        assert_eq!(reading(&A::LargeList(field(A::Int64))), Reading::Polars);
        assert_eq!(reading(&A::Decimal(10, 2)), Reading::Decimal { scale: 2 });
        assert_eq!(reading(&A::Decimal64(18, 0)), Reading::Decimal { scale: 0 });
        for narrow in [A::Int8, A::Int16, A::UInt8, A::UInt16] {
            assert_eq!(reading(&narrow), Reading::Narrow, "{narrow:?}");
        }
        let tiny = A::Dictionary(IntegerType::Int32, Box::new(A::Int8), false);
        let map = A::Map(field(A::Struct(vec![*field(A::Utf8), *field(A::Int64)])), false);
        let never = [
            (A::List(field(A::Int8)), "list of int8"),
            (tiny.clone(), "dictionary of int8"),
            (A::Struct(vec![*field(A::Int64)]), "struct"),
            (A::List(field(A::Struct(vec![]))), "list of structs"),
            (A::LargeList(field(map.clone())), "list of maps"),
            (map, "map"),
            (A::FixedSizeList(field(A::Int64), 2), "fixed-size list of int64"),
            (A::List(field(A::LargeList(field(A::Int8)))), "list of lists of int8"),
            (
                A::FixedSizeList(field(A::FixedSizeList(field(A::Int16), 2)), 2),
                "fixed-size list of fixed-size lists of int16",
            ),
            (A::List(field(tiny)), "list of dictionaries of int8"),
            (A::Int128, "int128"),
        ];
        for (dtype, name) in never {
            assert_eq!((reading(&dtype), type_name(&dtype).as_str()), (Reading::Never, name), "{dtype:?}");
        }
        assert_eq!(reading(&A::Decimal256(40, 2)), Reading::Decimal { scale: 2 });
    }

    /// INT96: 8 bytes of nanoseconds of the day, then the Julian day (2,440,588 is 1970-01-01).
    #[test]
    fn int96_values_are_instants_in_their_unit_and_bytes_after_them_are_left() {
        use polars_arrow::datatypes::TimeUnit as U;
        let int96 = |day: u32, nanos: i64| [nanos.to_le_bytes().as_slice(), &day.to_le_bytes()].concat();
        // 1970-01-02 00:00:01.5, and 9999-12-31 (Julian day 5,373,484), beyond nanoseconds' 2262
        let mut bytes = [int96(2_440_589, 1_500_000_000), int96(5_373_484, 0)].concat();
        bytes.extend([0; 8]); // fastparquet's 8 bytes after the values
        let ns = int96_values(&bytes, 2, U::Nanosecond).unwrap();
        assert_eq!(ns, [Some(86_401_500_000_000), None]);
        let ms = int96_values(&bytes, 2, U::Millisecond).unwrap();
        assert_eq!(ms, [Some(86_401_500), Some(253_402_214_400_000)]);
        assert_eq!(int96_values(&bytes, 1, U::Second).unwrap(), [Some(86_401)]);
        let err = int96_values(&bytes, 3, U::Second).unwrap_err();
        assert_eq!(err, "3 INT96 values in 32 bytes");
    }

    #[test]
    fn batches_hold_at_most_the_budget_or_one_larger_item_in_order() {
        let sizes = [5u64, 5, 5, 20, 1, 1, 0];
        let runs: Vec<&[u64]> = batches(&sizes, 10, |&s| s);
        assert_eq!(runs, [&[5, 5][..], &[5], &[20], &[1, 1, 0]]);
        assert_eq!(batches(&sizes, 0, |&s| s).len(), sizes.len());
        assert!(batches(&[] as &[u64], 10, |&s| s).is_empty());
    }

    #[test]
    fn decimals_print_exactly() {
        fn exact(out: &mut String, unscaled: i128, scale: usize) -> &str {
            decimal_into(out, unscaled.unsigned_abs(), unscaled < 0, scale)
        }
        let mut out = String::from("left over");
        assert_eq!(exact(&mut out, 1_785_000, 2), "17850");
        assert_eq!(exact(&mut out, 1_785_010, 2), "17850.10");
        assert_eq!(exact(&mut out, 19_000, 3), "19", "not the text \"19.000\", a possible group");
        assert_eq!(exact(&mut out, -5, 2), "-0.05");
        assert_eq!(exact(&mut out, 7, 0), "7");
        assert_eq!(exact(&mut out, -70, 0), "-70");
        assert_eq!(exact(&mut out, -7_000, 2), "-70");
        assert_eq!(exact(&mut out, 0, 3), "0");
        assert_eq!(exact(&mut out, 12_345, 3), "12.345");
        assert_eq!(exact(&mut out, i128::MIN, 0), "-170141183460469231731687303715884105728");
        // 256-bit decimals (decimal256, a precision above 38) through their digits
        let e20 = i256::from_words(0, 10i128.pow(20)).0;
        let wide = e20 * e20 * i256::from_words(-1, -12_345).0; // −12345 × 10^40: past i128
        let text = decimal_into(&mut out, wide.unsigned_abs(), wide.is_negative(), 42).to_string();
        assert_eq!(text, format!("-123.45{}", "0".repeat(40)));
        assert_eq!(decimal_into(&mut out, wide.unsigned_abs(), wide.is_negative(), 40), "-12345");
    }

    #[test]
    fn parquet_keeps_the_role_columns_and_counts_every_columns_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        // the unmapped columns are read in batches of the roles' bytes: a long text (Notes,
        // bigger than the roles) is one of its own, between two others
        let note = "n".repeat(4000);
        let mut frame = df!(
            "Country" => [Some("UK"), None, None],
            "CustomerID" => [Some(1.0), None, Some(3.0)],
            "Notes" => [None, Some(note.as_str()), Some(note.as_str())],
            "StockCode" => ["A", "B", "C"],
            "UnitPrice" => [Some(1.5), Some(2.0), None],
            "Quantity" => [1i64, 2, 3],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut frame).unwrap();
        let cfg = InputConfig {
            path: path.clone(),
            sheet: None,
            delimiter: None,
            quote: Some(b'"'),
            encoding: Encoding::UTF8,
            date_format: None,
            max_date: None,
            dates_continue_to: None,
            skip_bad_rows: false,
            max_record_bytes: 0,
            max_rows: 0,
            max_bytes: Some(0),
            null_values: crate::ingest::DEFAULT_NULL_VALUES.map(String::from).to_vec(),
            decimal: None,
        };
        let columns = Columns { quantity: Some("Quantity".into()), ..Columns::new("CustomerID", "StockCode") };
        let (table, report) = run(&cfg, &columns).unwrap();
        let mut kept = column_names(&table.frame);
        kept.sort();
        assert_eq!(kept, ["CustomerID", "Quantity", "StockCode"]);
        let nulls: Vec<(&str, usize)> = table.nulls.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        let expected =
            [("Country", 2), ("CustomerID", 1), ("Notes", 1), ("StockCode", 0), ("UnitPrice", 1), ("Quantity", 0)];
        assert_eq!(nulls, expected);
        assert_eq!((report.columns, report.rows_out), (6, 3));
        // `kindred audit` reads every column
        let AllColumns::Mapped(all) = read(&cfg, &columns, HEAD_ROWS).unwrap().0 else {
            panic!("the mapping resolves")
        };
        assert_eq!((all.frame.width(), all.columns.quantity.as_deref()), (6, Some("Quantity")));
        // [input] max_bytes holds the columns to read, as the footer gives their sizes: the
        // mapped ones in a run (the long Notes is not one), every one in the audit
        let file = parquet_columns(&path, &[]).unwrap();
        let bytes = |name: &str| file.footer.bytes(file.columns.iter().find(|c| c.name == name).unwrap());
        let mapped: u64 = ["CustomerID", "Quantity", "StockCode"].iter().map(|c| bytes(c)).sum();
        let every: u64 = column_names(&all.frame).iter().map(|c| bytes(c)).sum();
        assert!(bytes("Notes") > 4000 && every > mapped + 4000, "{mapped} {every}");
        let at = |limit: u64| InputConfig { max_bytes: Some(limit), ..cfg.clone() };
        assert!(run(&at(mapped), &columns).is_ok());
        let err = run(&at(mapped - 1), &columns).err().expect("refused").to_string();
        let want = format!("the columns to read (the mapped ones) take about {mapped} bytes decoded");
        assert!(err.contains(&want) && err.contains("more than [input] max_bytes"), "{err}");
        assert!(read(&at(every), &columns, HEAD_ROWS).is_ok());
        let err = read(&at(every - 1), &columns, HEAD_ROWS).err().expect("refused").to_string();
        assert!(
            err.contains("(every column, as kindred audit reads them)") && err.contains("the largest, 'Notes'"),
            "{err}"
        );
    }
}
