#include "libs/roster/xlsx_workbook.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::roster::internal {
namespace {

using Kind = XmlTokenizer::Kind;
using Token = XmlTokenizer::Token;

// The limits of an Excel worksheet: 16,384 columns (A to XFD) and 1,048,576 rows.
constexpr int kMaxColumns = 16384;
constexpr int kMaxRows = 1048576;

struct Relationship {
  std::string id;
  std::string type;
  std::string target;
  bool external = false;
};

// Wraps a tokenizer error (English) as the user-facing ROSTER_XLSX_INVALID error.
// Errors of the ZIP reader underneath already have their reason and pass through.
absl::Status MalformedPart(absl::string_view part, const absl::Status& status) {
  if (!ErrorReason(status).empty()) return status;
  return XlsxInvalidError(absl::StrCat(part, ": ", status.message()));
}

absl::StatusOr<std::vector<Relationship>> ParseRelationships(std::string xml, absl::string_view part) {
  StringByteSource source(std::move(xml));
  XmlTokenizer tokenizer(&source);
  std::vector<Relationship> relationships;
  Token token;
  while (true) {
    absl::Status status = tokenizer.Next(&token);
    if (!status.ok()) return MalformedPart(part, status);
    if (token.kind == Kind::kEndOfDocument) return relationships;
    if (token.kind != Kind::kStartElement || token.name != "Relationship") continue;

    Relationship relationship;
    if (const std::string* id = token.Attribute("Id")) relationship.id = *id;
    if (const std::string* type = token.Attribute("Type")) relationship.type = *type;
    if (const std::string* target = token.Attribute("Target")) relationship.target = *target;
    if (const std::string* mode = token.Attribute("TargetMode")) relationship.external = *mode == "External";
    relationships.push_back(std::move(relationship));
  }
}

// The first relationship whose type ends with `type_suffix`, for example "/officeDocument" (the
// transitional and the strict namespaces differ only before it).
const Relationship* FindByType(const std::vector<Relationship>& relationships, absl::string_view type_suffix) {
  for (const Relationship& relationship : relationships) {
    if (!relationship.external && absl::EndsWith(relationship.type, type_suffix)) return &relationship;
  }
  return nullptr;
}

// The folder of part `path` with a trailing slash ("xl/" for "xl/workbook.xml"), or "".
std::string FolderOf(absl::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

// The ZIP entry name of relationship target `target` of a part in `folder`: an absolute target
// ("/xl/worksheets/sheet1.xml") is taken from the package root, a relative one from `folder`, and
// "." and ".." segments are resolved.
std::string ResolveTarget(absl::string_view folder, absl::string_view target) {
  const std::string joined = absl::StartsWith(target, "/") ? std::string(target.substr(1)) : absl::StrCat(folder, target);
  std::vector<absl::string_view> segments;
  for (absl::string_view segment : absl::StrSplit(joined, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  return absl::StrJoin(segments, "/");
}

// The 0-based column of cell reference `reference` ("B5" is 1), or -1 when it is not a reference.
int ColumnOfReference(absl::string_view reference) {
  int column = 0;
  std::size_t i = 0;
  while (i < reference.size() && absl::ascii_isalpha(static_cast<unsigned char>(reference[i]))) {
    column = column * 26 + (absl::ascii_toupper(reference[i]) - 'A' + 1);
    if (column > kMaxColumns) return -1;
    ++i;
  }
  if (i == 0 || i == reference.size()) return -1;
  for (; i < reference.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(reference[i]))) return -1;
  }
  return column - 1;
}

// An ISO 8601 date or date-time as YYYYMMDD, or the text unchanged when it is not one.
std::string IsoDateAsDigits(const std::string& text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return text;
  const std::string digits = absl::StrCat(text.substr(0, 4), text.substr(5, 2), text.substr(8, 2));
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return text;
  }
  return digits;
}

}  // namespace

// Feeds the inflated bytes of the worksheet entry to the tokenizer.
class XlsxWorkbook::SheetSource : public ByteSource {
 public:
  explicit SheetSource(ZipEntryReader* reader) : reader_(reader) {}
  absl::StatusOr<bool> ReadMore(std::string* buffer) override { return reader_->ReadMore(buffer); }

 private:
  ZipEntryReader* reader_;
};

XlsxWorkbook::~XlsxWorkbook() = default;

absl::StatusOr<std::unique_ptr<XlsxWorkbook>> XlsxWorkbook::Open(std::string content, const ZipLimits& limits) {
  std::unique_ptr<XlsxWorkbook> workbook(new XlsxWorkbook());
  workbook->content_ = std::move(content);
  RETURN_IF_ERROR(workbook->Load(limits));
  return workbook;
}

absl::Status XlsxWorkbook::Load(const ZipLimits& limits) {
  ASSIGN_OR_RETURN(archive_, ZipArchive::Open(content_, limits));

  // The package relationships name the workbook part; xl/workbook.xml is where every writer puts it.
  std::string workbook_path = "xl/workbook.xml";
  if (const ZipEntry* package_rels = archive_->Find("_rels/.rels")) {
    ASSIGN_OR_RETURN(std::string xml, archive_->ReadEntry(*package_rels));
    ASSIGN_OR_RETURN(const std::vector<Relationship> relationships, ParseRelationships(std::move(xml), "_rels/.rels"));
    if (const Relationship* office_document = FindByType(relationships, "/officeDocument")) {
      workbook_path = ResolveTarget("", office_document->target);
    }
  }
  const ZipEntry* workbook_entry = archive_->Find(workbook_path);
  if (workbook_entry == nullptr) {
    return XlsxInvalidError(absl::StrCat("the ZIP archive has no workbook part ", workbook_path));
  }

  // The first <sheet> of the workbook is the first tab, whatever its name.
  std::string first_sheet_id;
  {
    ASSIGN_OR_RETURN(std::string xml, archive_->ReadEntry(*workbook_entry));
    StringByteSource source(std::move(xml));
    XmlTokenizer tokenizer(&source);
    Token token;
    while (true) {
      absl::Status status = tokenizer.Next(&token);
      if (!status.ok()) return MalformedPart(workbook_path, status);
      if (token.kind == Kind::kEndOfDocument) break;
      if (token.kind != Kind::kStartElement) continue;
      if (token.name == "workbookPr") {
        const std::string* date1904 = token.Attribute("date1904");
        uses_1904_dates_ = date1904 != nullptr && (*date1904 == "1" || *date1904 == "true");
      } else if (token.name == "sheet" && first_sheet_id.empty()) {
        // r:id; the prefix is dropped, and <sheet> has no other attribute named id.
        if (const std::string* id = token.Attribute("id")) first_sheet_id = *id;
      }
    }
  }
  if (first_sheet_id.empty()) return XlsxInvalidError("the workbook lists no sheet");

  const std::string folder = FolderOf(workbook_path);
  const std::string rels_path = absl::StrCat(folder, "_rels/", workbook_path.substr(folder.size()), ".rels");
  const ZipEntry* rels_entry = archive_->Find(rels_path);
  if (rels_entry == nullptr) return XlsxInvalidError(absl::StrCat("the archive has no ", rels_path));
  ASSIGN_OR_RETURN(std::string rels_xml, archive_->ReadEntry(*rels_entry));
  ASSIGN_OR_RETURN(const std::vector<Relationship> relationships, ParseRelationships(std::move(rels_xml), rels_path));

  std::string sheet_path;
  for (const Relationship& relationship : relationships) {
    if (relationship.id == first_sheet_id) sheet_path = ResolveTarget(folder, relationship.target);
  }
  if (sheet_path.empty()) return XlsxInvalidError(absl::StrCat("no relationship ", first_sheet_id, " in ", rels_path));
  if (const Relationship* shared_strings = FindByType(relationships, "/sharedStrings")) {
    RETURN_IF_ERROR(LoadSharedStrings(ResolveTarget(folder, shared_strings->target)));
  }

  const ZipEntry* sheet_entry = archive_->Find(sheet_path);
  if (sheet_entry == nullptr) return XlsxInvalidError(absl::StrCat("the archive has no worksheet ", sheet_path));
  ASSIGN_OR_RETURN(sheet_reader_, archive_->OpenEntry(*sheet_entry));
  sheet_source_ = std::make_unique<SheetSource>(sheet_reader_.get());
  sheet_ = std::make_unique<XmlTokenizer>(sheet_source_.get());
  return absl::OkStatus();
}

absl::Status XlsxWorkbook::LoadSharedStrings(const std::string& path) {
  const ZipEntry* entry = archive_->Find(path);
  if (entry == nullptr) return XlsxInvalidError(absl::StrCat("the archive has no shared strings part ", path));
  ASSIGN_OR_RETURN(std::string xml, archive_->ReadEntry(*entry));

  StringByteSource source(std::move(xml));
  XmlTokenizer tokenizer(&source);
  Token token;
  std::string current;
  bool in_item = false;
  bool in_text = false;
  bool in_phonetic = false;  // <rPh>: a reading aid for Japanese, not part of the value
  while (true) {
    absl::Status status = tokenizer.Next(&token);
    if (!status.ok()) return MalformedPart(path, status);
    if (token.kind == Kind::kEndOfDocument) return absl::OkStatus();

    if (token.kind == Kind::kText) {
      if (in_item && in_text && !in_phonetic) current.append(token.text);
      continue;
    }
    const bool start = token.kind == Kind::kStartElement;
    if (token.name == "si") {
      in_item = start;
      if (start) {
        current.clear();
      } else {
        shared_strings_.push_back(std::move(current));
        current.clear();
      }
    } else if (token.name == "t") {
      in_text = start;
    } else if (token.name == "rPh") {
      in_phonetic = start;
    }
  }
}

absl::Status XlsxWorkbook::ReadCell(const Token& start, int row, int* last_column, std::vector<SourceCell>* cells) {
  int column = *last_column + 1;
  if (const std::string* reference = start.Attribute("r")) {
    column = ColumnOfReference(*reference);
    if (column < 0) {
      return XlsxInvalidError(absl::StrCat("row ", row, " has a cell with the invalid reference ", *reference));
    }
  }
  if (column >= kMaxColumns) return XlsxInvalidError(absl::StrCat("row ", row, " has more than 16384 columns"));
  const std::string* type_attribute = start.Attribute("t");
  const std::string type = type_attribute == nullptr ? "n" : *type_attribute;

  // The value is in <v>, or for inline strings in the <t> elements of <is>.
  std::string value;
  std::string inline_text;
  bool in_value = false;
  bool in_inline = false;
  bool in_text = false;
  bool in_phonetic = false;
  Token token;
  while (true) {
    absl::Status status = sheet_->Next(&token);
    if (!status.ok()) return MalformedPart("the worksheet", status);
    if (token.kind == Kind::kEndOfDocument) return XlsxInvalidError(absl::StrCat("row ", row, " is cut off"));
    if (token.kind == Kind::kEndElement && token.name == "c") break;

    if (token.kind == Kind::kText) {
      if (in_value) value.append(token.text);
      if (in_inline && in_text && !in_phonetic) inline_text.append(token.text);
      continue;
    }
    const bool is_start = token.kind == Kind::kStartElement;
    if (token.name == "v") {
      in_value = is_start;
    } else if (token.name == "is") {
      in_inline = is_start;
    } else if (token.name == "t") {
      in_text = is_start;
    } else if (token.name == "rPh") {
      in_phonetic = is_start;
    }
  }

  SourceCell cell;
  if (type == "s") {
    std::size_t index = 0;
    if (!absl::SimpleAtoi(value, &index) || index >= shared_strings_.size()) {
      return XlsxInvalidError(absl::StrCat("row ", row, " refers to shared string ", value, " of ",
                                           shared_strings_.size()));
    }
    cell.text = shared_strings_[index];
  } else if (type == "inlineStr") {
    cell.text = std::move(inline_text);
  } else if (type == "b") {
    cell.text = value == "1" ? "TRUE" : "FALSE";
  } else if (type == "d") {
    cell.text = IsoDateAsDigits(value);
  } else if (type == "str" || type == "e") {
    cell.text = std::move(value);
  } else {
    cell.is_number = !value.empty();
    cell.text = std::move(value);
  }

  if (static_cast<std::size_t>(column) >= cells->size()) cells->resize(static_cast<std::size_t>(column) + 1);
  (*cells)[static_cast<std::size_t>(column)] = std::move(cell);
  *last_column = column;
  return absl::OkStatus();
}

absl::StatusOr<bool> XlsxWorkbook::NextRow(std::vector<SourceCell>* cells, int* row) {
  cells->clear();
  Token token;
  while (!sheet_done_) {
    absl::Status status = sheet_->Next(&token);
    if (!status.ok()) return MalformedPart("the worksheet", status);
    if (token.kind == Kind::kEndOfDocument || (token.kind == Kind::kEndElement && token.name == "sheetData")) {
      sheet_done_ = true;
      break;
    }
    if (token.kind != Kind::kStartElement || token.name != "row") continue;

    int number = last_row_ + 1;
    if (const std::string* reference = token.Attribute("r")) {
      if (!absl::SimpleAtoi(*reference, &number) || number < 1) {
        return XlsxInvalidError(absl::StrCat("a row has the invalid number ", *reference));
      }
    }
    if (number > kMaxRows) return XlsxInvalidError(absl::StrCat("row ", number, " is past the last Excel row"));
    last_row_ = number;

    int last_column = -1;
    while (true) {
      absl::Status cell_status = sheet_->Next(&token);
      if (!cell_status.ok()) return MalformedPart("the worksheet", cell_status);
      if (token.kind == Kind::kEndOfDocument) return XlsxInvalidError(absl::StrCat("row ", number, " is cut off"));
      if (token.kind == Kind::kEndElement && token.name == "row") break;
      if (token.kind == Kind::kStartElement && token.name == "c") {
        RETURN_IF_ERROR(ReadCell(token, number, &last_column, cells));
      }
    }
    *row = number;
    return true;
  }
  return false;
}

}  // namespace quxiang::roster::internal
