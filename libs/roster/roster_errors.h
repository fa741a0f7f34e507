// Reason codes of the errors that RosterReader returns (google.rpc.ErrorInfo reasons, domain
// "quxiang"). Every error is INVALID_ARGUMENT with a zh-CN message that explains to a school
// employee the problem with the file and its fix.
#ifndef QUXIANG_LIBS_ROSTER_ROSTER_ERRORS_H_
#define QUXIANG_LIBS_ROSTER_ROSTER_ERRORS_H_

namespace quxiang::roster {

// The file is neither CSV text nor an XLSX workbook (for example .xls, PDF or UTF-16 text).
inline constexpr char kRosterFormatUnsupported[] = "ROSTER_FORMAT_UNSUPPORTED";
// The file is text, but neither valid UTF-8 nor valid GB18030.
inline constexpr char kRosterEncodingInvalid[] = "ROSTER_ENCODING_INVALID";
// A quoted CSV field is not closed.
inline constexpr char kRosterCsvInvalid[] = "ROSTER_CSV_INVALID";
// The ZIP container or the XML of the workbook is damaged or uses a feature the reader lacks.
inline constexpr char kRosterXlsxInvalid[] = "ROSTER_XLSX_INVALID";
// The workbook would exceed the limits on uncompressed size or entry count (a zip bomb guard).
inline constexpr char kRosterXlsxTooLarge[] = "ROSTER_XLSX_TOO_LARGE";
// The file has no header row, or no data at all.
inline constexpr char kRosterEmpty[] = "ROSTER_EMPTY";
// Required columns are missing from the header row; metadata "missing_columns" lists them.
inline constexpr char kRosterColumnsMissing[] = "ROSTER_COLUMNS_MISSING";
// The header row names one column twice (directly or through another name for it).
inline constexpr char kRosterColumnDuplicated[] = "ROSTER_COLUMN_DUPLICATED";

}  // namespace quxiang::roster

#endif  // QUXIANG_LIBS_ROSTER_ROSTER_ERRORS_H_
