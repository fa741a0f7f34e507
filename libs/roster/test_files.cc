#include "libs/roster/test_files.h"

#include <iconv.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "libs/validation/validation.h"

namespace quxiang::roster::testing {
namespace {

void AppendU16(std::string* out, std::uint32_t value) {
  out->push_back(static_cast<char>(value & 0xFF));
  out->push_back(static_cast<char>((value >> 8) & 0xFF));
}

void AppendU32(std::string* out, std::uint32_t value) {
  AppendU16(out, value & 0xFFFF);
  AppendU16(out, value >> 16);
}

std::string RawDeflate(const std::string& data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::fprintf(stderr, "deflateInit2 failed\n");
    std::abort();
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
    std::fprintf(stderr, "deflate failed\n");
    std::abort();
  }
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string XmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string ColumnLetters(std::size_t column) {
  std::string letters;
  std::size_t n = column + 1;
  while (n > 0) {
    letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
    n = (n - 1) / 26;
  }
  return letters;
}

struct Person {
  const char* name;
  const char* gender_code;
  const char* ethnicity_code;
  const char* ethnicity;
  const char* region;
  const char* province;
  const char* birth_date;
};

const Person kPeople[20] = {
    {"张伟", "1", "01", "汉族", "110105", "北京市", "20000312"},
    {"王𡐤", "2", "01", "汉族", "110108", "北京市", "20000704"},
    {"李𠀾华", "1", "01", "汉族", "320102", "江苏省", "19991120"},
    {"买买提·艾力", "1", "05", "维吾尔族", "650102", "新疆维吾尔自治区", "20000101"},
    {"刘芳", "2", "01", "汉族", "440106", "广东省", "20000229"},
    {"陈静", "2", "03", "回族", "640104", "宁夏回族自治区", "20001015"},
    {"杨洋", "1", "01", "汉族", "510107", "四川省", "19990808"},
    {"赵磊", "1", "02", "蒙古族", "150102", "内蒙古自治区", "20000530"},
    {"黄丽", "2", "01", "汉族", "430104", "湖南省", "20001201"},
    {"周杰", "1", "01", "汉族", "330106", "浙江省", "19990415"},
    {"吴敏", "2", "08", "壮族", "450103", "广西壮族自治区", "20000621"},
    {"徐强", "1", "01", "汉族", "370102", "山东省", "20000909"},
    {"孙婷", "2", "01", "汉族", "410105", "河南省", "20010102"},
    {"马超", "1", "03", "回族", "620102", "甘肃省", "19991231"},
    {"朱琳", "2", "01", "汉族", "340104", "安徽省", "20000217"},
    {"胡军", "1", "01", "汉族", "420106", "湖北省", "20000728"},
    {"郭燕", "2", "11", "满族", "210102", "辽宁省", "20001111"},
    {"何平", "1", "01", "汉族", "360103", "江西省", "20000404"},
    {"林𠀾", "2", "01", "汉族", "350102", "福建省", "20000606"},
    {"高明", "1", "04", "藏族", "540102", "西藏自治区", "19990930"},
};

}  // namespace

std::string IdNumber(absl::string_view region, absl::string_view yyyymmdd, int sequence) {
  const std::string first17 = absl::StrCat(region, yyyymmdd, absl::StrFormat("%03d", sequence));
  return first17 + validation::IdNumberCheckDigit(first17);
}

std::vector<GraduateRecord> TwentyGraduates() {
  std::vector<GraduateRecord> records;
  for (int i = 0; i < 20; ++i) {
    const Person& person = kPeople[i];
    const bool male = std::string(person.gender_code) == "1";
    const bool postgraduate = i % 5 == 4;
    const bool directed = i == 7;

    GraduateRecord record;
    record.candidate_number = absl::StrFormat("18110101%06d", 100 + i);
    // The third digit from the end is odd for men and even for women.
    record.id_number = IdNumber(person.region, person.birth_date, 10 * i + (male ? 1 : 2));
    record.name = person.name;
    record.gender_code = person.gender_code;
    record.gender = male ? "男" : "女";
    record.ethnicity_code = person.ethnicity_code;
    record.ethnicity = person.ethnicity;
    record.political_status_code = i % 3 == 0 ? "01" : "03";
    record.political_status = i % 3 == 0 ? "中共党员" : "共青团员";
    record.school_code = kSchoolCode;
    record.school_name = "京华大学";
    record.education_level_code = postgraduate ? "11" : "31";
    record.education_level = postgraduate ? "硕士生毕业" : "本科生毕业";
    record.major_code = postgraduate ? "081203" : "080901";
    record.major_name = postgraduate ? "计算机应用技术" : "计算机科学与技术";
    record.major_direction = i % 2 == 0 ? "人工智能" : "";
    record.training_mode_code = directed ? "21" : "1";
    record.training_mode = directed ? "定向（不可网签）" : "非定向";
    record.sponsoring_unit = directed ? "内蒙古自治区教育厅" : "";
    record.origin_code = person.region;
    record.origin = person.province;
    record.urban_or_rural_origin = i % 4 == 0 ? "农村" : "城镇";
    record.schooling_length = postgraduate ? "3" : "4";
    record.enrolled_at = postgraduate ? "20190901" : "20180901";
    record.graduation_date = "20220701";
    record.normal_student_category_code = "2";
    record.normal_student_category = "非师范生";
    record.difficulty_category_code = i == 11 ? "2" : "0";
    record.difficulty_category = i == 11 ? "家庭困难" : "非困难生";
    record.department = i < 10 ? "计算机学院" : "电子信息工程学院";
    record.class_name = postgraduate ? "2019级硕士班" : "计算机2018级1班";
    record.student_number = absl::StrFormat("2018010%03d", i + 1);
    record.birth_date = person.birth_date;
    record.household_police_station = "北京市公安局海淀分局中关村派出所";
    record.archive_transferred_to_school = "是";
    record.household_transferred_to_school = i % 2 == 0 ? "是" : "否";
    record.phone = absl::StrCat(13800000000LL + i);
    record.email = absl::StrCat(record.student_number, "@stu.jinghua.edu.cn");
    record.parent_name = absl::StrCat(std::string(person.name).substr(0, 3), "建国");
    record.home_address = absl::StrCat(person.province, "幸福路 ", i + 1, " 号");
    record.home_phone = "010-62751234";
    record.home_postal_code = "100871";
    records.push_back(record);
  }
  // Cells that CSV must quote.
  records[2].home_address = "江苏省南京市玄武区中山路 8 号, 3 单元";
  records[5].home_address = "宁夏银川市兴庆区\"光明\"小区";
  records[9].home_address = "浙江省杭州市西湖区\n文三路 90 号";
  return records;
}

std::vector<std::string> AllHeaders() {
  std::vector<std::string> headers;
  for (const RosterField& field : RosterFields()) headers.emplace_back(field.header);
  return headers;
}

Table RecordsTable(const std::vector<std::string>& headers, const std::vector<GraduateRecord>& records) {
  std::map<std::string, const RosterField*> by_header;
  for (const RosterField& field : RosterFields()) by_header[std::string(field.header)] = &field;

  Table table;
  table.push_back(headers);
  for (const GraduateRecord& record : records) {
    std::vector<std::string> row;
    for (const std::string& header : headers) {
      const auto it = by_header.find(header);
      row.push_back(it == by_header.end() ? std::string() : record.*(it->second->member));
    }
    table.push_back(row);
  }
  return table;
}

std::string ToCsv(const Table& table, bool crlf) {
  std::string csv;
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) csv.push_back(',');
      const std::string& field = row[i];
      if (field.find_first_of(",\"\r\n") == std::string::npos) {
        csv.append(field);
      } else {
        absl::StrAppend(&csv, "\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
      }
    }
    csv.append(crlf ? "\r\n" : "\n");
  }
  return csv;
}

std::string ToGb18030(absl::string_view utf8) {
  iconv_t descriptor = iconv_open("GB18030", "UTF-8");
  if (descriptor == reinterpret_cast<iconv_t>(-1)) {
    std::fprintf(stderr, "iconv_open(GB18030, UTF-8) failed\n");
    std::abort();
  }
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* out_pointer = out.data();
  std::size_t out_left = out.size();
  if (iconv(descriptor, &in, &in_left, &out_pointer, &out_left) == static_cast<std::size_t>(-1)) {
    std::fprintf(stderr, "iconv to GB18030 failed\n");
    std::abort();
  }
  iconv_close(descriptor);
  out.resize(out.size() - out_left);
  return out;
}

std::string BuildZip(const std::vector<ZipFile>& files) {
  std::string archive;
  std::string directory;
  for (const ZipFile& file : files) {
    const std::string data = file.deflate ? RawDeflate(file.contents) : file.contents;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(file.contents.data()), static_cast<uInt>(file.contents.size())));
    const std::uint32_t declared_crc = file.declared_crc32.value_or(crc);
    const std::uint32_t declared_size =
        file.declared_uncompressed_size.value_or(static_cast<std::uint32_t>(file.contents.size()));
    const std::uint16_t method = file.deflate ? 8 : 0;
    const auto offset = static_cast<std::uint32_t>(archive.size());

    AppendU32(&archive, 0x04034b50);
    AppendU16(&archive, 20);      // version needed
    AppendU16(&archive, 0x0800);  // names are UTF-8
    AppendU16(&archive, method);
    AppendU16(&archive, 0);     // time
    AppendU16(&archive, 0x21);  // date 1980-01-01
    AppendU32(&archive, declared_crc);
    AppendU32(&archive, static_cast<std::uint32_t>(data.size()));
    AppendU32(&archive, declared_size);
    AppendU16(&archive, static_cast<std::uint32_t>(file.name.size()));
    AppendU16(&archive, 0);
    archive.append(file.name);
    archive.append(data);

    AppendU32(&directory, 0x02014b50);
    AppendU16(&directory, 20);  // version made by
    AppendU16(&directory, 20);  // version needed
    AppendU16(&directory, 0x0800);
    AppendU16(&directory, method);
    AppendU16(&directory, 0);
    AppendU16(&directory, 0x21);
    AppendU32(&directory, declared_crc);
    AppendU32(&directory, static_cast<std::uint32_t>(data.size()));
    AppendU32(&directory, declared_size);
    AppendU16(&directory, static_cast<std::uint32_t>(file.name.size()));
    AppendU16(&directory, 0);  // extra
    AppendU16(&directory, 0);  // comment
    AppendU16(&directory, 0);  // disk
    AppendU16(&directory, 0);  // internal attributes
    AppendU32(&directory, 0);  // external attributes
    AppendU32(&directory, offset);
    directory.append(file.name);
  }

  const auto directory_offset = static_cast<std::uint32_t>(archive.size());
  archive.append(directory);
  AppendU32(&archive, 0x06054b50);
  AppendU16(&archive, 0);
  AppendU16(&archive, 0);
  AppendU16(&archive, static_cast<std::uint32_t>(files.size()));
  AppendU16(&archive, static_cast<std::uint32_t>(files.size()));
  AppendU32(&archive, static_cast<std::uint32_t>(directory.size()));
  AppendU32(&archive, directory_offset);
  AppendU16(&archive, 0);
  return archive;
}

std::vector<ZipFile> XlsxParts(const std::string& sheet_xml, const std::vector<std::string>& shared_strings,
                               bool uses_1904_dates) {
  std::string strings_xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">";
  for (const std::string& text : shared_strings) {
    absl::StrAppend(&strings_xml, "<si><t xml:space=\"preserve\">", XmlEscape(text), "</t></si>");
  }
  strings_xml.append("</sst>");

  const std::string workbook_xml = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
      uses_1904_dates ? "<workbookPr date1904=\"1\"/>" : "<workbookPr/>",
      "<sheets><sheet name=\"名单\" sheetId=\"1\" r:id=\"rId2\"/><sheet name=\"说明\" sheetId=\"2\" r:id=\"rId1\"/>"
      "</sheets></workbook>");
  const std::string second_sheet_xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>本工作表不是名单</t></is></c></row>"
      "</sheetData></worksheet>";

  return {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
       "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
       "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
       "<Override PartName=\"/xl/workbook.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
       "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
       "<Override PartName=\"/xl/worksheets/sheet2.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
       "<Override PartName=\"/xl/sharedStrings.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
       "</Types>"},
      {"_rels/.rels",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
       "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
       "<Relationship Id=\"rId1\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
       "Target=\"xl/workbook.xml\"/></Relationships>"},
      {"xl/workbook.xml", workbook_xml},
      {"xl/_rels/workbook.xml.rels",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
       "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
       "<Relationship Id=\"rId1\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
       "Target=\"worksheets/sheet2.xml\"/>"
       "<Relationship Id=\"rId2\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
       "Target=\"/xl/worksheets/sheet1.xml\"/>"
       "<Relationship Id=\"rId3\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" "
       "Target=\"sharedStrings.xml\"/></Relationships>"},
      {"xl/worksheets/sheet1.xml", sheet_xml},
      {"xl/worksheets/sheet2.xml", second_sheet_xml},
      {"xl/sharedStrings.xml", strings_xml},
  };
}

std::string BuildXlsx(const std::vector<XlsxRow>& rows, const XlsxOptions& options) {
  const std::string p = options.prefixed ? "x:" : "";
  std::vector<std::string> shared_strings;
  std::map<std::string, std::size_t> shared_index;

  std::string sheet = absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<", p, "worksheet ",
                                   options.prefixed ? "xmlns:x" : "xmlns",
                                   "=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><", p, "sheetData>");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::string row_number = absl::StrCat(r + 1);
    absl::StrAppend(&sheet, "<", p, "row", options.omit_references ? "" : absl::StrCat(" r=\"", row_number, "\""), ">");
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const XlsxCell& cell = rows[r][c];
      if (cell.value.empty()) {
        // Without references an empty cell must be written, or the cells after it would shift left.
        if (options.omit_references) absl::StrAppend(&sheet, "<", p, "c/>");
        continue;
      }
      const std::string reference =
          options.omit_references ? "" : absl::StrCat(" r=\"", ColumnLetters(c), row_number, "\"");
      switch (cell.kind) {
        case CellKind::kSharedString: {
          auto [it, inserted] = shared_index.emplace(cell.value, shared_strings.size());
          if (inserted) shared_strings.push_back(cell.value);
          absl::StrAppend(&sheet, "<", p, "c", reference, " t=\"s\"><", p, "v>", it->second, "</", p, "v></", p, "c>");
          break;
        }
        case CellKind::kInlineString:
          absl::StrAppend(&sheet, "<", p, "c", reference, " t=\"inlineStr\"><", p, "is><", p, "t>",
                          XmlEscape(cell.value), "</", p, "t></", p, "is></", p, "c>");
          break;
        case CellKind::kNumber:
          absl::StrAppend(&sheet, "<", p, "c", reference, "><", p, "v>", cell.value, "</", p, "v></", p, "c>");
          break;
      }
    }
    absl::StrAppend(&sheet, "</", p, "row>");
  }
  absl::StrAppend(&sheet, "</", p, "sheetData></", p, "worksheet>");
  return BuildZip(XlsxParts(sheet, shared_strings, options.uses_1904_dates));
}

std::vector<XlsxRow> SharedStringRows(const Table& table) {
  std::vector<XlsxRow> rows;
  for (const auto& row : table) {
    XlsxRow cells;
    for (const std::string& value : row) cells.push_back({value, CellKind::kSharedString});
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace quxiang::roster::testing
