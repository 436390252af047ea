"""Every message the functions write for a person, by code, in English and Turkish.

Rules (tests/unit/test_messages.py checks the first three):
- both languages, never empty, with the same {placeholders};
- every code here is used in functions/, and every code used is here;
- a literal brace is doubled: '{{"parts": [...]}}';
- technical tokens stay as they are in both languages: field names ('part_code',
  "qr_ids"), JSON, function names, units (MB, KB, mm);
- Turkish suffixes go on the word after a placeholder, never on the placeholder itself
  ("{code} parçası için", not "{code}'nin"): the value inserted is not known here.

Codes are `area.subject.detail`; an English text that several places share has one code.
"""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    # -- pieces other messages are built from -----------------------------------------------
    "common.verbatim": {  # a text that came with no code (see errors.DomainError)
        "en": "{text}",
        "tr": "{text}",
    },
    "common.or": {
        "en": "{first} or {second}",
        "tr": "{first} veya {second}",
    },
    "common.clauses": {
        "en": "{first}; {second}",
        "tr": "{first}; {second}",
    },
    "common.sentences": {
        "en": "{first}. {second}",
        "tr": "{first}. {second}",
    },
    "common.internal": {
        "en": "Something went wrong on our side. Try again later.",
        "tr": "Sistemimizde bir sorun oluştu. Daha sonra yeniden deneyin.",
    },
    "common.store_unavailable": {
        "en": "The database is not reachable or too busy right now. Try again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor ya da veritabanı çok yoğun. Bir dakika sonra "
              "yeniden deneyin.",
    },
    "common.field_required": {
        "en": "'{name}' is required.",
        "tr": "'{name}' zorunludur.",
    },
    "common.field_not_string": {
        "en": "'{name}' must be a string.",
        "tr": "'{name}' metin (string) olmalıdır.",
    },
    "common.field_not_boolean": {
        "en": "'{name}' must be true or false.",
        "tr": "'{name}' true ya da false olmalıdır.",
    },
    "common.field_not_whole_number": {
        "en": "'{name}' must be a whole number.",
        "tr": "'{name}' bir tam sayı olmalıdır.",
    },
    "json.null": {"en": "null", "tr": "null"},
    "json.boolean": {"en": "a boolean", "tr": "bir mantıksal değer (boolean)"},
    "json.number": {"en": "a number", "tr": "bir sayı"},
    "json.string": {"en": "a string", "tr": "bir metin (string)"},
    "json.list": {"en": "a list", "tr": "bir liste"},
    "json.object": {"en": "an object", "tr": "bir nesne"},
    "char.space": {"en": "a space", "tr": "bir boşluk"},
    "char.tab": {"en": "a tab", "tr": "bir sekme"},
    "char.line_break": {"en": "a line break", "tr": "bir satır sonu"},
    "char.space_like": {
        "en": "a space character ({name})",
        "tr": "bir boşluk karakteri ({name})",
    },
    "char.invisible": {
        "en": "an invisible or control character ({name})",
        "tr": "görünmeyen bir karakter ya da kontrol karakteri ({name})",
    },
    "char.combining": {
        "en": "a combining mark ({name})",
        "tr": "bir birleştirici işaret ({name})",
    },

    # -- request bodies (infra/request_limits.py) and HTTP replies (infra/http_boundary.py) --
    "request.body.too_large": {
        "en": "The request body is over {limit_mb} MB; upload at most {upload_mb} MB.",
        "tr": "İstek gövdesi {limit_mb} MB sınırını aşıyor; en fazla {upload_mb} MB yükleyin.",
    },
    "request.body.incomplete": {
        "en": "The request body ended before all of it arrived; send it again.",
        "tr": "İstek gövdesi tamamı ulaşmadan kesildi; yeniden gönderin.",
    },
    "request.json.invalid": {
        "en": "The request body is not valid JSON.",
        "tr": "İstek gövdesi geçerli bir JSON değil.",
    },
    "request.json.too_deep": {
        "en": "The JSON in the request is nested more than {max_depth} levels deep; that is "
              "more than any request to these functions needs.",
        "tr": "İstekteki JSON {max_depth} düzeyden daha derin iç içe geçmiş; bu "
              "fonksiyonlara gönderilen hiçbir istek bu kadar derinliğe ihtiyaç duymaz.",
    },
    "request.json.too_many_digits": {
        "en": "A number in the JSON has more than {max_digits} digits.",
        "tr": "JSON'daki bir sayı {max_digits} basamaktan uzun.",
    },
    "request.json.out_of_range": {
        "en": "A number in the JSON is too large to be a number (it overflows).",
        "tr": "JSON'daki bir sayı, sayı olarak tutulamayacak kadar büyük (taşma oluşuyor).",
    },
    "request.json.not_a_number": {
        "en": "NaN and Infinity are not valid JSON numbers.",
        "tr": "NaN ve Infinity geçerli JSON sayıları değildir.",
    },
    "http.form_too_large": {
        "en": "A field of the form is too large, or the form has too many fields; send the "
              'parts list as one file in the field "file".',
        "tr": "Formdaki bir alan çok büyük ya da formda çok fazla alan var; parça listesini "
              '"file" alanında tek bir dosya olarak gönderin.',
    },
    "http.method_not_allowed": {
        "en": "Use {methods} for this function.",
        "tr": "Bu fonksiyon için {methods} kullanın.",
    },
    "http.qr_id_in_path": {
        "en": "Put the QR id in the URL: /<function name>/<qr_id>.",
        "tr": "QR kimliğini URL'ye yazın: /<function name>/<qr_id>.",
    },
    "http.zip_selection_body": {
        "en": 'Send JSON {{"part_code": "..."}} or {{"qr_ids": ["...", ...]}}.',
        "tr": 'JSON olarak {{"part_code": "..."}} ya da {{"qr_ids": ["...", ...]}} gönderin.',
    },
    "http.part_code_not_string": {
        "en": '"part_code" must be a string.',
        "tr": '"part_code" metin (string) olmalıdır.',
    },
    "http.fields_body": {
        "en": "Send a JSON object, or use GET with a query string.",
        "tr": "Bir JSON nesnesi gönderin ya da GET isteğini sorgu dizesiyle kullanın.",
    },
    "callable.bad_request": {  # firebase-functions' own "Bad Request", in Turkish
        "en": "Bad Request",
        "tr": "Geçersiz istek: callable protokolüne uygun bir POST (JSON {{\"data\": ...}}) "
              "gönderin.",
    },
    "callable.unauthenticated": {  # firebase-functions' own "Unauthenticated", in Turkish
        "en": "Unauthenticated",
        "tr": "Kimlik doğrulanamadı: kimlik belirteci (ID token) geçersiz ya da süresi "
              "dolmuş; yeniden oturum açın.",
    },

    # -- who may call (identity.py, infra/auth.py) ------------------------------------------
    "auth.sign_in_required": {
        "en": "Sign in first: this function needs a Firebase ID token.",
        "tr": "Önce oturum açın: bu fonksiyon bir Firebase kimlik belirteci (ID token) "
              "gerektirir.",
    },
    "auth.staff_required": {
        "en": "This needs the staff role (custom claim staff: true), which your account does "
              "not have; ask an administrator to grant it, then sign in again.",
        "tr": "Bu işlem için personel yetkisi gerekir (özel talep staff: true); hesabınızda "
              "bu yetki yok. Bir yöneticiden bu yetkiyi vermesini isteyin, ardından yeniden "
              "oturum açın.",
    },
    "auth.admin_required": {
        "en": "Only administrators (custom claim admin: true) may do this; your account does "
              "not have that role.",
        "tr": "Bu işlemi yalnızca yöneticiler yapabilir (özel talep admin: true); hesabınızda "
              "bu yetki yok.",
    },
    "auth.moderator_required": {
        "en": "Only moderators (custom claim moderator: true) and administrators may review "
              "images; your account has neither role.",
        "tr": "Görselleri yalnızca moderatörler (özel talep moderator: true) ve yöneticiler "
              "inceleyebilir; hesabınızda bu rollerden hiçbiri yok.",
    },
    "auth.bad_header": {
        "en": 'The Authorization header must be "Bearer <Firebase ID token>".',
        "tr": 'Authorization başlığı "Bearer <Firebase ID token>" biçiminde olmalıdır.',
    },
    "auth.token_invalid": {
        "en": "The ID token is invalid or expired; sign in again.",
        "tr": "Kimlik belirteci (ID token) geçersiz ya da süresi dolmuş; yeniden oturum açın.",
    },
    "auth.token_revoked": {
        "en": "Your access has changed since you signed in; sign in again.",
        "tr": "Oturum açtığınızdan beri erişim yetkileriniz değişti; yeniden oturum açın.",
    },
    "auth.token_unverifiable": {
        "en": "The ID token could not be verified right now; try again.",
        "tr": "Kimlik belirteci (ID token) şu anda doğrulanamadı; yeniden deneyin.",
    },
    "auth.token_other_project": {
        "en": "The ID token is for project {audience} but this run serves project {project}; "
              "mint one for it with "
              "`.venv/bin/python -m devtools.tokens <uid> --project {project_id}`.",
        "tr": "Kimlik belirteci {audience} projesi için, ama bu çalıştırma {project} "
              "projesine hizmet veriyor; bu proje için bir belirteci "
              "`.venv/bin/python -m devtools.tokens <uid> --project {project_id}` ile üretin.",
    },

    # -- part codes and QR ids (qr/ids.py) --------------------------------------------------
    "qr.part_code.required": {
        "en": "part_code is required",
        "tr": "part_code zorunludur",
    },
    "qr.part_code.boolean": {
        "en": "part_code must be text, not true/false",
        "tr": "part_code metin olmalıdır, true/false olamaz",
    },
    "qr.part_code.wrong_type": {
        "en": "part_code must be text, got {type}",
        "tr": "part_code metin olmalıdır; gelen tür: {type}",
    },
    "qr.part_code.decimal": {
        "en": "part_code {value} is a decimal number; format the part_code column as text so "
              "the code is kept exactly as typed",
        "tr": "part_code {value} ondalıklı bir sayı; kodun yazıldığı gibi kalması için "
              "part_code sütununu metin olarak biçimlendirin",
    },
    "qr.part_code.too_long": {
        "en": "part_code may be at most {max_chars} characters",
        "tr": "part_code en fazla {max_chars} karakter olabilir",
    },
    "qr.part_code.too_long_got": {
        "en": "part_code may be at most {max_chars} characters, got {length}",
        "tr": "part_code en fazla {max_chars} karakter olabilir; girilen: {length} karakter",
    },
    "qr.part_code.allowed_chars": {
        "en": "letters and digits (of any script), '.', '_' and '-'",
        "tr": "harf ve rakam (her alfabeden), '.', '_' ve '-'",
    },
    "qr.part_code.bad_character": {
        "en": "part_code {code} may only contain {allowed}; {character} is not allowed",
        "tr": "part_code {code} yalnızca şunları içerebilir: {allowed}; {character} "
              "kullanılamaz",
    },
    "qr.part_code.bad_start": {
        "en": "part_code {code} must start with a letter or digit",
        "tr": "part_code {code} bir harf ya da rakamla başlamalıdır",
    },
    "qr.part_code.bad_start_named": {
        "en": "part_code {code} must start with a letter or digit, not {character}",
        "tr": "part_code {code} bir harf ya da rakamla başlamalıdır; ilk karakter "
              "{character} olamaz",
    },
    "qr.part_code.double_dot": {
        "en": "part_code {code} may not contain '..'",
        "tr": "part_code {code} '..' içeremez",
    },
    "qr.part_code.not_nfc": {
        "en": "part_code {code} is not NFC-normalised; pass it through normalize_part_code "
              "first",
        "tr": "part_code {code} NFC biçiminde normalleştirilmemiş; önce normalize_part_code "
              "işlevinden geçirin",
    },
    "qr.qr_id.not_text": {
        "en": "A QR id must be text",
        "tr": "QR kimliği metin olmalıdır",
    },
    "qr.qr_id.required": {
        "en": "A QR id is required",
        "tr": "QR kimliği zorunludur",
    },
    "qr.qr_id.too_long": {
        "en": "A QR id may be at most {max_chars} characters long, got {length}",
        "tr": "QR kimliği en fazla {max_chars} karakter olabilir; girilen: {length} karakter",
    },
    "qr.qr_id.bad_start": {
        "en": "A QR id must start with a letter or digit",
        "tr": "QR kimliği bir harf ya da rakamla başlamalıdır",
    },
    "qr.qr_id.bad_character": {
        "en": "A QR id may only contain letters, digits, '.', '_' and '-'",
        "tr": "QR kimliği yalnızca harf, rakam, '.', '_' ve '-' içerebilir",
    },
    "qr.qr_id.double_dot": {
        "en": "A QR id may not contain '..'",
        "tr": "QR kimliği '..' içeremez",
    },
    "qr.qr_id.no_part_code": {
        "en": "QR id {qr_id} has no part code (expected part_code-suffix)",
        "tr": "QR kimliği {qr_id} bir parça kodu içermiyor (beklenen biçim: "
              "part_code-suffix)",
    },
    "qr.qr_ids.not_a_list": {
        "en": '"qr_ids" must be a list of QR id strings.',
        "tr": '"qr_ids", QR kimliklerinden (string) oluşan bir liste olmalıdır.',
    },

    # -- QR payloads (qr/render.py) ---------------------------------------------------------
    "qr.payload.not_text": {
        "en": "The QR payload must be text, not {type}",
        "tr": "QR içeriği metin olmalıdır, {type} olamaz",
    },
    "qr.payload.empty": {
        "en": "The QR payload is empty",
        "tr": "QR içeriği boş",
    },
    "qr.payload.surrogate": {
        "en": "The QR payload is not valid text (it has a lone surrogate)",
        "tr": "QR içeriği geçerli bir metin değil (eşi olmayan bir vekil karakter, "
              "surrogate, içeriyor)",
    },
    "qr.payload.too_long": {
        "en": "The QR payload is {size}; the most a QR code can hold at error-correction "
              "level M is {limit}",
        "tr": "QR içeriğinin boyutu {size}; M hata düzeltme düzeyinde bir QR kodu en fazla "
              "{limit} alabilir",
    },
    "qr.payload.size_chars": {
        "en": "{chars} characters",
        "tr": "{chars} karakter",
    },
    "qr.payload.size_chars_bytes": {
        "en": "{chars} characters ({bytes} bytes as UTF-8)",
        "tr": "{chars} karakter (UTF-8 olarak {bytes} bayt)",
    },
    "qr.payload.limit_digits": {
        "en": "{count} digits",
        "tr": "{count} rakam",
    },
    "qr.payload.limit_alphanumeric": {
        "en": "{count} characters of this kind (A-Z, 0-9, space and $%*+-./:)",
        "tr": "bu türden {count} karakter (A-Z, 0-9, boşluk ve $%*+-./:)",
    },
    "qr.payload.limit_bytes": {
        "en": "{count} bytes of text",
        "tr": "{count} bayt metin",
    },

    # -- parts lists (qr/parts_import.py, qr/service.py) ------------------------------------
    "qr.upload.no_body": {
        "en": 'Send the parts list as a multipart field "file" (.xlsx or .csv) or as JSON '
              '{{"parts": [...]}}.',
        "tr": 'Parça listesini multipart "file" alanında (.xlsx ya da .csv) ya da JSON olarak '
              '{{"parts": [...]}} biçiminde gönderin.',
    },
    "qr.upload.file_too_large": {
        "en": "The file is {size_mb} MB; the limit is {limit_mb} MB",
        "tr": "Dosya {size_mb} MB; sınır {limit_mb} MB",
    },
    "qr.upload.format": {
        "en": "Upload a .xlsx or .csv file with the columns part_code, part_name, quantity",
        "tr": "part_code, part_name, quantity sütunlarını içeren bir .xlsx ya da .csv "
              "dosyası yükleyin",
    },
    "qr.upload.no_rows": {
        "en": "The parts list has no rows",
        "tr": "Parça listesinde hiç satır yok",
    },
    "qr.upload.utf8_hint": {
        "en": "Save the CSV as UTF-8 (in Excel: Save As > CSV UTF-8) and upload it again",
        "tr": "CSV dosyasını UTF-8 olarak kaydedin (Excel'de: Farklı Kaydet > CSV UTF-8) ve "
              "yeniden yükleyin",
    },
    "qr.upload.csv_named_not_csv": {
        "en": "The file is named .csv but is not a CSV file. {format}",
        "tr": "Dosyanın uzantısı .csv ama dosya bir CSV dosyası değil. {format}",
    },
    "qr.upload.old_xls": {
        "en": "The file is an old .xls workbook or a password-protected .xlsx; remove the "
              "password or save it as .xlsx. {format}",
        "tr": "Dosya eski bir .xls çalışma kitabı ya da parola korumalı bir .xlsx; parolayı "
              "kaldırın ya da dosyayı .xlsx olarak kaydedin. {format}",
    },
    "qr.upload.xlsx_named_not_xlsx": {
        "en": "The file is named .xlsx but is not an Excel workbook. {format}",
        "tr": "Dosyanın uzantısı .xlsx ama dosya bir Excel çalışma kitabı değil. {format}",
    },
    "qr.upload.json_shape": {
        "en": 'Send the parts list as JSON {{"parts": [{{"part_code": ..., "part_name": ..., '
              '"quantity": ...}}, ...]}}',
        "tr": 'Parça listesini JSON olarak gönderin: {{"parts": [{{"part_code": ..., '
              '"part_name": ..., "quantity": ...}}, ...]}}',
    },
    "qr.upload.unexpected_fields": {
        "en": 'Unexpected field(s): {fields}; expected only "parts"',
        "tr": 'Beklenmeyen alan(lar): {fields}; yalnızca "parts" bekleniyordu',
    },
    "qr.upload.parts_not_list": {
        "en": '"parts" must be a list of rows, each an object with part_code, part_name and '
              "quantity",
        "tr": '"parts" bir satır listesi olmalıdır; her satır part_code, part_name ve '
              "quantity içeren bir nesnedir",
    },
    "qr.upload.row_not_object": {
        "en": "each row must be an object with part_code, part_name and quantity, got "
              "{json_type}",
        "tr": "her satır part_code, part_name ve quantity içeren bir nesne olmalıdır; gelen: "
              "{json_type}",
    },
    "qr.upload.expected_columns": {
        "en": "expected part_code, part_name, quantity and optionally min_units (or an "
              "inventory export's columns)",
        "tr": "part_code, part_name, quantity ve isteğe bağlı olarak min_units bekleniyordu "
              "(ya da envanter dışa aktarımının sütunları)",
    },
    "qr.upload.unexpected_field": {
        "en": "unexpected field {field}; {expected}",
        "tr": "beklenmeyen alan {field}; {expected}",
    },
    "qr.upload.column_missing": {
        "en": "{column} is missing",
        "tr": "{column} eksik",
    },
    "qr.upload.damaged_xlsx": {
        "en": "The .xlsx file could not be read; it may be damaged. Open it in Excel, save it "
              "again as .xlsx and upload it again",
        "tr": ".xlsx dosyası okunamadı; dosya hasarlı olabilir. Dosyayı Excel'de açın, "
              "yeniden .xlsx olarak kaydedin ve tekrar yükleyin",
    },
    "qr.upload.bad_zip": {
        "en": "The .xlsx file is damaged (it is not a valid zip archive). {format}",
        "tr": ".xlsx dosyası hasarlı (geçerli bir zip arşivi değil). {format}",
    },
    "qr.upload.unpacks_too_large": {
        "en": "The .xlsx file unpacks to {size_mb} MB; the limit is {limit_mb} MB. Remove "
              "other sheets and images",
        "tr": ".xlsx dosyası açıldığında {size_mb} MB tutuyor; sınır {limit_mb} MB. Diğer "
              "sayfaları ve resimleri kaldırın",
    },
    "qr.upload.compression_ratio": {
        "en": "The .xlsx file contains a part compressed more than {ratio}:1, which a real "
              "workbook never needs; it is refused",
        "tr": ".xlsx dosyası {ratio}:1 oranından fazla sıkıştırılmış bir bölüm içeriyor; "
              "gerçek bir çalışma kitabı buna hiç ihtiyaç duymaz, bu yüzden reddedildi",
    },
    "qr.upload.zip_not_workbook": {
        "en": "The file is a zip archive but not an Excel workbook. {format}",
        "tr": "Dosya bir zip arşivi ama Excel çalışma kitabı değil. {format}",
    },
    "qr.upload.too_many_members": {
        "en": "The .xlsx file has {count} parts inside; a workbook with more than "
              "{max_members} is refused",
        "tr": ".xlsx dosyasının içinde {count} bölüm var; {max_members} bölümden fazlasını "
              "içeren bir çalışma kitabı reddedilir",
    },
    "qr.upload.csv_unreadable": {
        "en": "The CSV could not be read near line {line}: {error}",
        "tr": "CSV dosyası {line}. satır civarında okunamadı: {error}",
    },
    "qr.upload.utf16": {
        "en": "The CSV is saved as UTF-16. {hint}",
        "tr": "CSV dosyası UTF-16 olarak kaydedilmiş. {hint}",
    },
    "qr.upload.not_utf8": {
        "en": "The CSV is not UTF-8. {hint}",
        "tr": "CSV dosyası UTF-8 değil. {hint}",
    },
    "qr.upload.cell_without_header": {
        "en": "cell {cell} has a value but its column has no header; {expected}",
        "tr": "{cell} hücresinde bir değer var ama sütununun başlığı yok; {expected}",
    },
    "qr.upload.header_missing": {
        "en": "The first row must be the header with the columns part_code, part_name, "
              "quantity; found {found}",
        "tr": "İlk satır part_code, part_name, quantity sütunlarını içeren başlık satırı "
              "olmalıdır; bulunan: {found}",
    },
    "qr.upload.nothing": {
        "en": "nothing",
        "tr": "hiçbir şey",
    },
    "qr.upload.missing_columns": {
        "en": "Missing column(s): {columns}",
        "tr": "Eksik sütun(lar): {columns}",
    },
    "qr.upload.unexpected_columns": {
        "en": "Unexpected column(s): {columns}; {expected}",
        "tr": "Beklenmeyen sütun(lar): {columns}; {expected}",
    },
    "qr.upload.duplicate_columns": {
        "en": "Duplicate column(s): {columns}",
        "tr": "Yinelenen sütun(lar): {columns}",
    },
    "qr.upload.too_many_rows": {
        "en": "The parts list has more than {max_rows} rows; split it into smaller lists",
        "tr": "Parça listesinde {max_rows} satırdan fazla var; listeyi daha küçük listelere "
              "bölün",
    },
    "qr.upload.quantity_rule": {
        "en": "quantity must be a whole number from 1 to {max_quantity}",
        "tr": "quantity 1 ile {max_quantity} arasında bir tam sayı olmalıdır",
    },
    "qr.upload.quantity_rule_got": {
        "en": "quantity must be a whole number from 1 to {max_quantity}, got {value}",
        "tr": "quantity 1 ile {max_quantity} arasında bir tam sayı olmalıdır; girilen: {value}",
    },
    "qr.upload.quantity_required": {
        "en": "quantity is required",
        "tr": "quantity zorunludur",
    },
    "qr.upload.quantity_json": {
        "en": "quantity must be a whole number from 1 to {max_quantity} written as a JSON "
              "integer (not a string or a decimal), got {json_type} {value}",
        "tr": "quantity 1 ile {max_quantity} arasında bir tam sayı olmalı ve JSON tam sayısı "
              "olarak yazılmalıdır (metin ya da ondalıklı sayı değil); gelen: {json_type} "
              "{value}",
    },
    "qr.upload.number_too_large_to_show": {
        "en": "a number too large to show",
        "tr": "gösterilemeyecek kadar büyük bir sayı",
    },
    "qr.upload.duplicate_code": {
        "en": "part_code {code} already on row {row}",
        "tr": "part_code {code} zaten {row}. satırda var",
    },
    "qr.upload.too_many_units": {
        "en": "The list asks for {units} units; at most {max_units} can be imported at once, "
              "so split it",
        "tr": "Liste {units} birim istiyor; bir seferde en fazla {max_units} birim içe "
              "aktarılabilir, bu yüzden listeyi bölün",
    },
    "qr.upload.rows_with_problems.one": {
        "en": "{count} row has problems",
        "tr": "{count} satırda sorun var",
    },
    "qr.upload.rows_with_problems.other": {
        "en": "{count} rows have problems",
        "tr": "{count} satırda sorun var",
    },
    "qr.upload.nothing_imported": {
        "en": "{problems}; nothing was imported",
        "tr": "{problems}; hiçbir şey içe aktarılmadı",
    },
    "qr.upload.database_down": {
        "en": "The database is not reachable right now; units created so far are kept, "
              "upload the same list again to finish.",
        "tr": "Veritabanına şu anda ulaşılamıyor; şimdiye kadar oluşturulan birimler "
              "korunuyor, tamamlamak için aynı listeyi yeniden yükleyin.",
    },
    "qr.part_name.required": {
        "en": "part_name is required",
        "tr": "part_name zorunludur",
    },
    "qr.part_name.not_text": {
        "en": "part_name must be text, got {value}",
        "tr": "part_name metin olmalıdır; girilen: {value}",
    },
    "qr.part_name.too_long": {
        "en": "part_name may be at most {max_chars} characters, got {length}",
        "tr": "part_name en fazla {max_chars} karakter olabilir; girilen: {length} karakter",
    },
    "qr.part_name.control_chars": {
        "en": "part_name may not contain control characters such as line breaks or tabs",
        "tr": "part_name satır sonu ya da sekme gibi kontrol karakterleri içeremez",
    },

    # -- labels: storage, selection, download, units used, clear (qr/service.py) ------------
    "qr.store.failed": {
        "en": "{failed} of {total} QR files could not be stored yet; they will be retried.",
        "tr": "{total} QR dosyasından {failed} tanesi henüz kaydedilemedi; yeniden "
              "denenecekler.",
    },
    "qr.not_found": {
        "en": "No QR code with id {qr_id}.",
        "tr": "{qr_id} kimlikli bir QR kodu yok.",
    },
    "qr.select.either": {
        "en": 'Give either "part_code" or "qr_ids" (a list of QR ids).',
        "tr": 'Ya "part_code" ya da "qr_ids" (QR kimliklerinden oluşan bir liste) verin.',
    },
    "qr.select.no_codes_for_part": {
        "en": "No QR codes exist for part {code}.",
        "tr": "{code} parçası için hiç QR kodu yok.",
    },
    "qr.select.too_many_ids": {
        "en": "At most {limit} QR ids fit in one {what}.",
        "tr": "Tek bir {what} için en fazla {limit} QR kimliği verilebilir.",
    },
    "qr.select.unknown_ids": {
        "en": "Unknown QR id(s): {ids}",
        "tr": "Bilinmeyen QR kimlikleri: {ids}",
    },
    "qr.select.part_too_large": {
        "en": "Part {code} has more than {limit} QR codes, more than one {what} takes; ask "
              "for smaller lists of ids.",
        "tr": "{code} parçasının {limit} adetten fazla QR kodu var, bu da tek bir {what} "
              "için fazla; kimlikleri daha küçük listeler halinde isteyin.",
    },
    "qr.select.what.zip": {
        "en": "ZIP",
        "tr": "ZIP dosyası",
    },
    "qr.select.what.label_sheet": {
        "en": "label sheet",
        "tr": "etiket sayfası PDF'i",
    },
    "qr.used.body": {
        "en": 'Send {{"qr_ids": [QR ids], "reason": "why they left the stock"}}.',
        "tr": 'Şunu gönderin: {{"qr_ids": [QR kimlikleri], "reason": "stoktan neden '
              'çıktıkları"}}.',
    },
    "qr.used.empty": {
        "en": '"qr_ids" is empty: give at least one QR id.',
        "tr": '"qr_ids" boş: en az bir QR kimliği verin.',
    },
    "qr.used.too_many": {
        "en": '"qr_ids" may hold at most {max_ids} ids a call, got {count}; send them in '
              "several calls.",
        "tr": '"qr_ids" bir çağrıda en fazla {max_ids} kimlik içerebilir, gelen: {count}; '
              "kimlikleri birkaç çağrıya bölerek gönderin.",
    },
    "qr.used.bad_id": {
        "en": '"qr_ids"[{index}]: {reason}.',
        "tr": '"qr_ids"[{index}]: {reason}.',
    },
    "qr.used.reason_required": {
        "en": '"reason" is required: say why the units left the stock.',
        "tr": '"reason" zorunludur: birimlerin stoktan neden çıktığını yazın.',
    },
    "qr.used.reason_not_text": {
        "en": '"reason" must be text.',
        "tr": '"reason" metin olmalıdır.',
    },
    "qr.used.reason_empty": {
        "en": '"reason" is empty: say why the units left the stock.',
        "tr": '"reason" boş: birimlerin stoktan neden çıktığını yazın.',
    },
    "qr.used.reason_too_long": {
        "en": '"reason" may be at most {max_chars} characters, got {length}.',
        "tr": '"reason" en fazla {max_chars} karakter olabilir; girilen: {length} karakter.',
    },
    "qr.used.unknown_ids": {
        "en": "Unknown QR id(s), nothing was marked: {ids}",
        "tr": "Bilinmeyen QR kimlikleri var, hiçbir birim işaretlenmedi: {ids}",
    },
    "qr.used.database_down": {
        "en": "The database is not reachable or too busy right now; units marked so far are "
              "kept, send the same list again to finish (units already used are skipped).",
        "tr": "Veritabanına şu anda ulaşılamıyor ya da veritabanı çok yoğun; şimdiye kadar "
              "işaretlenen birimler korunuyor, tamamlamak için aynı listeyi yeniden gönderin "
              "(zaten kullanılmış birimler atlanır).",
    },
    "qr.mark.database_down": {
        "en": "The database is not reachable or too busy right now; try again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor ya da veritabanı çok yoğun; bir dakika sonra "
              "yeniden deneyin.",
    },
    "qr.clear.confirm": {
        "en": 'To delete every QR code and file, send {{"confirm": "{confirmation}"}}.',
        "tr": 'Tüm QR kodlarını ve dosyalarını silmek için {{"confirm": "{confirmation}"}} '
              "gönderin.",
    },
    "qr.clear.files_left": {
        "en": "Deleted {records} QR records, but the stored files could not all be deleted "
              "yet; run the clear again to finish.",
        "tr": "{records} QR kaydı silindi, ancak kayıtlı dosyaların hepsi henüz silinemedi; "
              "tamamlamak için temizleme işlemini yeniden çalıştırın.",
    },

    # -- label sheets (qr/sheet_request.py, qr/label_sheet.py) -------------------------------
    "qr.sheet.body": {
        "en": "Send the selection as a query string or a JSON object, e.g. "
              '{{"part_code": "...", "layout": "avery-l7160"}}.',
        "tr": "Seçimi bir sorgu dizesi ya da JSON nesnesi olarak gönderin, örneğin "
              '{{"part_code": "...", "layout": "avery-l7160"}}.',
    },
    "qr.sheet.unknown_params": {
        "en": "Unknown parameter(s): {unknown}. Known: {known}.",
        "tr": "Bilinmeyen parametre(ler): {unknown}. Bilinenler: {known}.",
    },
    "qr.sheet.layout": {
        "en": "'layout' must be one of: {layouts}.",
        "tr": "'layout' şunlardan biri olmalıdır: {layouts}.",
    },
    "qr.sheet.qr_ids": {
        "en": "'qr_ids' must be a list of QR ids (or a comma-separated string).",
        "tr": "'qr_ids' bir QR kimliği listesi (ya da virgülle ayrılmış bir metin) "
              "olmalıdır.",
    },
    "qr.sheet.not_mm": {
        "en": "'{name}' must be a number (mm).",
        "tr": "'{name}' bir sayı (mm) olmalıdır.",
    },
    "qr.sheet.fields": {
        "en": "'fields' must list some of: {fields}.",
        "tr": "'fields' şunlardan bazılarını listelemelidir: {fields}.",
    },
    "qr.sheet.fields_no_repeats": {
        "en": "'fields' must list some of: {fields} (no repeats).",
        "tr": "'fields' şunlardan bazılarını tekrarsız listelemelidir: {fields}.",
    },
    "qr.sheet.nothing_to_print": {
        "en": "No labels match the selection: nothing to print.",
        "tr": "Seçime uyan etiket yok: yazdırılacak bir şey yok.",
    },
    "qr.sheet.too_many_labels": {
        "en": "{count} labels are more than one sheet file may hold ({max_labels}); print "
              "them in parts.",
        "tr": "{count} etiket, tek bir sayfa dosyasının alabileceğinden ({max_labels}) "
              "fazla; etiketleri parça parça yazdırın.",
    },
    "qr.sheet.skip_negative": {
        "en": "'skip' must be 0 or more.",
        "tr": "'skip' 0 ya da daha büyük olmalıdır.",
    },
    "qr.sheet.skip_too_large": {
        "en": "'skip' must be less than the {per_page} labels of one {layout} sheet.",
        "tr": "'skip', bir {layout} sayfasındaki {per_page} etiketten az olmalıdır.",
    },
    "qr.sheet.offset_range": {
        "en": "'{name}' must be between -20 and 20 (mm).",
        "tr": "'{name}' -20 ile 20 (mm) arasında olmalıdır.",
    },

    # -- stock counts (stocktake/sessions.py) -----------------------------------------------
    "stocktake.start.body": {
        "en": 'Send {{"name": "...", "part_codes": [...]?, "note": "..."?}}.',
        "tr": 'Şunu gönderin: {{"name": "...", "part_codes": [...]?, "note": "..."?}}.',
    },
    "stocktake.start.name": {
        "en": "'name' must be a text of 1 to 100 characters.",
        "tr": "'name' 1 ile 100 karakter arasında bir metin olmalıdır.",
    },
    "stocktake.start.note": {
        "en": "'note' must be a text of at most 500 characters.",
        "tr": "'note' en fazla 500 karakterlik bir metin olmalıdır.",
    },
    "stocktake.start.part_codes": {
        "en": "'part_codes' must be a list of 1 to {max_codes} part codes (leave it out to "
              "count every part).",
        "tr": "'part_codes' 1 ile {max_codes} arasında parça kodundan oluşan bir liste "
              "olmalıdır (tüm parçaları saymak için bu alanı göndermeyin).",
    },
    "stocktake.start.no_units": {
        "en": "No labelled units for part(s): {codes}.",
        "tr": "Şu parçalar için etiketli birim yok: {codes}.",
    },
    "stocktake.session_id": {
        "en": "'session_id' must be the id start_count_session gave.",
        "tr": "'session_id', start_count_session tarafından verilen kimlik olmalıdır.",
    },
    "stocktake.live.since": {
        "en": "'since' must be the 'cursor' of the previous answer (a date and time with its "
              "offset), or left out.",
        "tr": "'since', bir önceki yanıtın 'cursor' değeri (saat dilimiyle bir tarih ve saat) "
              "olmalı ya da hiç verilmemelidir.",
    },
    "stocktake.session.not_found": {
        "en": "No count session {session_id}.",
        "tr": "{session_id} kimlikli bir sayım oturumu yok.",
    },
    "stocktake.session.closed": {
        "en": "The session is {state}: it takes no more scans.",
        "tr": "Oturum {state}: artık tarama kabul etmiyor.",
    },
    "stocktake.session.not_owner": {
        "en": "Only the person who started this session, or an administrator, may finish or "
              "cancel it.",
        "tr": "Bu oturumu yalnızca onu başlatan kişi ya da bir yönetici tamamlayabilir veya "
              "iptal edebilir.",
    },
    "stocktake.state.open": {"en": "open", "tr": "açık"},
    "stocktake.state.finishing": {"en": "finishing", "tr": "kapanıyor"},
    "stocktake.state.finished": {"en": "finished", "tr": "tamamlanmış"},
    "stocktake.state.cancelled": {"en": "cancelled", "tr": "iptal edilmiş"},
    "stocktake.scans.not_list": {
        "en": "'scans' must be a non-empty list of {{qr_id, client_scan_id, scanned_at}}.",
        "tr": "'scans', {{qr_id, client_scan_id, scanned_at}} nesnelerinden oluşan boş "
              "olmayan bir liste olmalıdır.",
    },
    "stocktake.scans.too_many": {
        "en": "At most {max_scans} scans a batch; got {count}.",
        "tr": "Bir grupta en fazla {max_scans} tarama olabilir; gelen: {count}.",
    },
    "stocktake.scans.not_object": {
        "en": "{where} must be an object.",
        "tr": "{where} bir nesne olmalıdır.",
    },
    "stocktake.scans.qr_id_not_text": {
        "en": "{where}: 'qr_id' must be a QR id.",
        "tr": "{where}: 'qr_id' bir QR kimliği olmalıdır.",
    },
    "stocktake.scans.bad_qr_id": {
        "en": "{where}: {reason}",
        "tr": "{where}: {reason}",
    },
    "stocktake.scans.client_scan_id": {
        "en": "{where}: 'client_scan_id' must be 1 to 128 letters, digits or '_.:-'.",
        "tr": "{where}: 'client_scan_id' 1 ile 128 arasında harf, rakam ya da '_.:-' "
              "karakterinden oluşmalıdır.",
    },
    "stocktake.scans.scanned_at": {
        "en": "{where}: 'scanned_at' must be an RFC 3339 time with a zone "
              "(2026-12-01T09:30:00Z) or milliseconds since 1970.",
        "tr": "{where}: 'scanned_at' saat dilimi içeren bir RFC 3339 zamanı "
              "(2026-12-01T09:30:00Z) ya da 1970'ten bu yana geçen milisaniye olmalıdır.",
    },
    "stocktake.scans.reused_id": {
        "en": "client_scan_id {client_scan_id} was sent before for {earlier}, now for "
              "{qr_id}; give each scan its own id.",
        "tr": "client_scan_id {client_scan_id} daha önce {earlier} için gönderildi, şimdi "
              "{qr_id} için; her taramaya kendi kimliğini verin.",
    },
    "stocktake.scans.contention": {
        "en": "Other scans of the same units kept arriving at the same moment; the first "
              "{taken} scans were taken. Send the batch again: those come back as resent and "
              "are not counted twice.",
        "tr": "Aynı birimlere ait başka taramalar aynı anda gelmeye devam etti; ilk {taken} "
              "tarama alındı. Grubu yeniden gönderin: alınmış olanlar yeniden gönderilmiş "
              "(resent) olarak döner ve iki kez sayılmaz.",
    },
    "stocktake.undo.no_scan": {
        "en": "No scan {client_scan_id} in this session.",
        "tr": "Bu oturumda {client_scan_id} kimlikli bir tarama yok.",
    },
    "stocktake.undo.contention": {
        "en": "The unit kept changing; try the undo again.",
        "tr": "Birim değişmeye devam etti; geri almayı yeniden deneyin.",
    },
    "stocktake.finish.already": {
        "en": "The session is {state} already; read its report instead.",
        "tr": "Oturum zaten {state}; bunun yerine raporunu okuyun.",
    },
    "stocktake.finish.changed": {
        "en": "The session was finished or cancelled meanwhile.",
        "tr": "Oturum bu arada tamamlandı ya da iptal edildi.",
    },
    "stocktake.cancel.not_open": {
        "en": "Only an open session can be cancelled; this one is {state}.",
        "tr": "Yalnızca açık bir oturum iptal edilebilir; bu oturum {state}.",
    },
    "stocktake.report.format": {
        "en": "'format' must be json or csv.",
        "tr": "'format' json ya da csv olmalıdır.",
    },

    # -- roles (roles/management.py) --------------------------------------------------------
    "roles.token_refresh": {
        "en": "The change reaches the user's app with its next ID token: within the hour, or "
              "at once when the app calls getIdToken(true) (JS: await "
              "auth.currentUser.getIdToken(true); Flutter: await "
              "FirebaseAuth.instance.currentUser?.getIdToken(true)) or the user signs in "
              "again.",
        "tr": "Değişiklik kullanıcının uygulamasına bir sonraki kimlik belirteciyle "
              "(ID token) ulaşır: bir saat içinde ya da uygulama getIdToken(true) "
              "çağırdığında hemen (JS: await auth.currentUser.getIdToken(true); Flutter: "
              "await FirebaseAuth.instance.currentUser?.getIdToken(true)) veya kullanıcı "
              "yeniden oturum açtığında.",
    },
    "roles.last_admin": {
        "en": "You are the last administrator: grant admin to someone else before you remove "
              "your own admin role.",
        "tr": "Son yönetici sizsiniz: kendi yönetici yetkinizi kaldırmadan önce başka birine "
              "yönetici yetkisi verin.",
    },
    "roles.last_admin_other": {
        "en": "{who} is the last administrator: grant admin to someone else first.",
        "tr": "{who} son yönetici: önce başka birine yönetici yetkisi verin.",
    },
    "roles.signed_out": {
        "en": "The user is signed out everywhere: the ID token they hold stops working at "
              "once here and within a minute everywhere, and they sign in again to go on "
              "without the role.",
        "tr": "Kullanıcının tüm oturumları kapatıldı: elindeki kimlik belirteci (ID token) "
              "burada hemen, her yerde bir dakika içinde geçersiz olur; rol olmadan devam "
              "etmek için yeniden oturum açması gerekir.",
    },
    "roles.email_unverified": {
        "en": "The account with the email {email} has not verified it: a role goes only to "
              "an address its owner has proved. Ask the person to verify it (the link in "
              "the verification email), then try again.",
        "tr": "{email} e-postasına sahip hesap bu adresi doğrulamadı: rol yalnızca sahibinin "
              "kanıtladığı bir adrese verilir. Kişiden adresi doğrulamasını (doğrulama "
              "e-postasındaki bağlantı) isteyin, ardından yeniden deneyin.",
    },
    "roles.unverified_warning": {
        "en": "This account's email is not verified: make sure the uid is the right "
              "person's.",
        "tr": "Bu hesabın e-postası doğrulanmamış: uid değerinin doğru kişiye ait olduğundan "
              "emin olun.",
    },
    "roles.directory_down": {
        "en": "The user directory is not reachable right now; try again in a minute.",
        "tr": "Kullanıcı dizinine şu anda ulaşılamıyor; bir dakika sonra yeniden deneyin.",
    },
    "roles.no_account": {
        "en": "No account with {kind} {value}; the person must sign in once first.",
        "tr": "{kind} değeri {value} olan bir hesap yok; kişinin önce bir kez oturum açması "
              "gerekir.",
    },
    "roles.audit_failed": {
        "en": "The change could not be audited, so it was undone; try again in a minute.",
        "tr": "Değişiklik denetim kaydına yazılamadığı için geri alındı; bir dakika sonra "
              "yeniden deneyin.",
    },
    "roles.role": {
        "en": "'role' must be one of: {roles}.",
        "tr": "'role' şunlardan biri olmalıdır: {roles}.",
    },
    "roles.target": {
        "en": 'Name the user with either "uid" or "email" (not both).',
        "tr": 'Kullanıcıyı ya "uid" ya da "email" ile belirtin (ikisiyle birden değil).',
    },
    "roles.uid": {
        "en": "'uid' must be a Firebase user id.",
        "tr": "'uid' bir Firebase kullanıcı kimliği olmalıdır.",
    },
    "roles.email": {
        "en": "'email' must be an email address.",
        "tr": "'email' bir e-posta adresi olmalıdır.",
    },

    # -- Vision admin (moderation/settings.py, moderation/admin.py) -------------------------
    "moderation.settings.strategy": {
        "en": "'strategy' must be one of: {strategies}.",
        "tr": "'strategy' şunlardan biri olmalıdır: {strategies}.",
    },
    "moderation.settings.limit_range": {
        "en": "'limit' must be between 0 and {max_limit}.",
        "tr": "'limit' 0 ile {max_limit} arasında olmalıdır.",
    },
    "moderation.admin.ledger_down": {
        "en": "The quota database is not reachable right now; try again in a minute.",
        "tr": "Kota veritabanına şu anda ulaşılamıyor; bir dakika sonra yeniden deneyin.",
    },

    # -- the pre-upload check (moderation/pre_upload_check.py) ------------------------------
    "moderation.check.body": {
        "en": 'Send either {{"image": "<base64 bytes>"}} or {{"path": "<object path in this '
              "project's bucket>\"}}.",
        "tr": 'Ya {{"image": "<base64 baytlar>"}} ya da {{"path": "<bu projenin depolama '
              'paketindeki nesne yolu>"}} gönderin.',
    },
    "moderation.check.not_an_image": {
        "en": "The file is not an image Vision can check (JPEG, PNG, GIF, WebP, BMP, TIFF or "
              "ICO).",
        "tr": "Dosya, Vision'ın denetleyebileceği bir görsel değil (JPEG, PNG, GIF, WebP, "
              "BMP, TIFF ya da ICO).",
    },
    "moderation.check.busy": {
        "en": "The same image is being checked right now; try again in a few seconds.",
        "tr": "Aynı görsel şu anda denetleniyor; birkaç saniye sonra yeniden deneyin.",
    },
    "moderation.check.image_not_string": {
        "en": "'image' must be a non-empty base64 string.",
        "tr": "'image' boş olmayan bir base64 metni olmalıdır.",
    },
    "moderation.check.image_too_large": {
        "en": "'image' is over {limit_kb} KB.",
        "tr": "'image' {limit_kb} KB sınırını aşıyor.",
    },
    "moderation.check.bad_base64": {
        "en": "'image' is not valid base64.",
        "tr": "'image' geçerli bir base64 değil.",
    },
    "moderation.check.image_empty": {
        "en": "'image' is empty.",
        "tr": "'image' boş.",
    },
    "moderation.check.not_own_path": {
        "en": "You may check only your own uploads: a path under users/, uploads/ or images/ "
              "followed by your user id.",
        "tr": "Yalnızca kendi yüklemelerinizi denetleyebilirsiniz: users/, uploads/ ya da "
              "images/ altında, kullanıcı kimliğinizle devam eden bir yol.",
    },
    "moderation.check.no_bucket": {
        "en": "This project has no storage bucket configured.",
        "tr": "Bu projede yapılandırılmış bir depolama paketi (bucket) yok.",
    },
    "moderation.check.no_object": {
        "en": "No object {name} in this project's bucket.",
        "tr": "Bu projenin depolama paketinde {name} adlı bir nesne yok.",
    },
    "moderation.check.too_large": {
        "en": "The image is over {limit_kb} KB; the most this check accepts.",
        "tr": "Görsel {limit_kb} KB sınırını aşıyor; bu denetimin kabul ettiği en büyük "
              "boyut bu.",
    },
    "moderation.check.path_empty": {
        "en": "'path' must be a non-empty object path.",
        "tr": "'path' boş olmayan bir nesne yolu olmalıdır.",
    },
    "moderation.check.path_not_url": {
        "en": "'path' must be an object path inside this project's bucket (like "
              "'uploads/photo.jpg'), not a URL.",
        "tr": "'path' bir URL değil, bu projenin depolama paketindeki bir nesne yolu "
              "olmalıdır ('uploads/photo.jpg' gibi).",
    },

    # -- re-check tasks (moderation/rechecks.py; Cloud Tasks reads them, in English) --------
    "moderation.recheck.database_down": {
        "en": "The moderation database is not reachable; the re-check will be retried.",
        "tr": "Moderasyon veritabanına ulaşılamıyor; yeniden denetim tekrar denenecek.",
    },
    "moderation.recheck.quota_busy": {
        "en": "The Vision quota is too busy right now; the re-check will be retried.",
        "tr": "Vision kotası şu anda çok yoğun; yeniden denetim tekrar denenecek.",
    },
    "moderation.recheck.no_verdict": {
        "en": "Vision gave no verdict ({reason}); the re-check will be retried.",
        "tr": "Vision bir karar vermedi ({reason}); yeniden denetim tekrar denenecek.",
    },
    "moderation.recheck.task_not_object": {
        "en": "A re-check task must be a JSON object.",
        "tr": "Bir yeniden denetim görevi JSON nesnesi olmalıdır.",
    },
    "moderation.recheck.key": {
        "en": "'key' must be a moderation record key.",
        "tr": "'key' bir moderasyon kaydı anahtarı olmalıdır.",
    },
    "moderation.recheck.object": {
        "en": "'bucket' and 'name' must name an object.",
        "tr": "'bucket' ve 'name' bir nesneyi belirtmelidir.",
    },
    "moderation.recheck.generation": {
        "en": "'generation' must be an object generation.",
        "tr": "'generation' bir nesne sürümü (generation) olmalıdır.",
    },
    "moderation.recheck.location": {
        "en": "'location' must be {{name, generation}}.",
        "tr": "'location' {{name, generation}} biçiminde olmalıdır.",
    },

    # -- what happened to an image (moderation/outcome.py, moderation/rechecks.py) ----------
    "moderation.status.approved": {
        "en": "The image passed moderation.",
        "tr": "Görsel moderasyondan geçti.",
    },
    "moderation.status.rejected": {
        "en": "The image was rejected by moderation.",
        "tr": "Görsel moderasyon tarafından reddedildi.",
    },
    "moderation.status.unchecked": {
        "en": "The image was kept without a moderation check.",
        "tr": "Görsel, moderasyon denetimi yapılmadan tutuldu.",
    },
    "moderation.status.needs_review": {
        "en": "The image was kept but could not be checked; it will be reviewed.",
        "tr": "Görsel tutuldu ancak denetlenemedi; incelenecek.",
    },
    "moderation.status.not_an_image": {
        "en": "The file is not a valid image; it was rejected.",
        "tr": "Dosya geçerli bir görsel değil; reddedildi.",
    },
    "moderation.status.unavailable": {
        "en": "The image was rejected because moderation is unavailable right now; upload it "
              "again later.",
        "tr": "Moderasyon şu anda kullanılamadığı için görsel reddedildi; daha sonra yeniden "
              "yükleyin.",
    },
    "moderation.status.account_flagged": {
        "en": "The image is held for review by a person.",
        "tr": "Görsel, bir kişinin incelemesi için bekletiliyor.",
    },
    "moderation.allowance.held_back": {
        "en": "The image was held back: this account has used up its image checks until "
              "{renews_at}; it will be checked then.",
        "tr": "Görsel geri tutuldu: bu hesap görsel denetim hakkını {renews_at} tarihine "
              "kadar kullandı; o zaman denetlenecek.",
    },
    "moderation.allowance.kept": {
        "en": "The image was kept without a check: this account has used up its image "
              "checks until {renews_at}; it will be checked then.",
        "tr": "Görsel denetlenmeden tutuldu: bu hesap görsel denetim hakkını {renews_at} "
              "tarihine kadar kullandı; o zaman denetlenecek.",
    },
    "moderation.allowance.exhausted": {
        "en": "This account has used up its image checks until {renews_at}. Try again "
              "then.",
        "tr": "Bu hesap görsel denetim hakkını {renews_at} tarihine kadar kullandı. O zaman "
              "yeniden deneyin.",
    },
    "moderation.allowance.body": {
        "en": "Send an object with at least one of: {fields}.",
        "tr": "Şu alanlardan en az birini içeren bir nesne gönderin: {fields}.",
    },
    "moderation.allowance.unknown_field": {
        "en": "'{name}' is not a field this function takes.",
        "tr": "'{name}' bu fonksiyonun aldığı bir alan değil.",
    },
    "moderation.allowance.range": {
        "en": "'{name}' must be a whole number from {low} to {high}.",
        "tr": "'{name}' {low} ile {high} arasında bir tam sayı olmalıdır.",
    },
    "moderation.allowance.roles": {
        "en": "'exempt_roles' must be a list of roles from: {roles}.",
        "tr": "'exempt_roles' şu rollerden oluşan bir liste olmalıdır: {roles}.",
    },
    "moderation.account.body": {
        "en": "Send {{\"uid\": ..., \"action\": ...}} with an action from: {actions}.",
        "tr": "Şu eylemlerden biriyle {{\"uid\": ..., \"action\": ...}} gönderin: {actions}.",
    },
    "moderation.account.uid": {
        "en": "'uid' must be an account's uid (at most 128 characters).",
        "tr": "'uid' bir hesabın uid değeri olmalıdır (en çok 128 karakter).",
    },
    "moderation.account.action": {
        "en": "'action' must be one of: {actions}.",
        "tr": "'action' şunlardan biri olmalıdır: {actions}.",
    },
    "moderation.check.app_check_missing": {
        "en": "This call needs an App Check token; update the app and try again.",
        "tr": "Bu çağrı bir App Check jetonu gerektiriyor; uygulamayı güncelleyip yeniden "
              "deneyin.",
    },
    "moderation.check.app_check_replayed": {
        "en": "This App Check token was already used or is not valid; get a new one and "
              "try again.",
        "tr": "Bu App Check jetonu zaten kullanılmış ya da geçerli değil; yenisini alıp "
              "yeniden deneyin.",
    },
    "moderation.recheck.busy": {
        "en": "The image is being judged by another delivery right now; try again later.",
        "tr": "Görsel şu anda başka bir teslimat tarafından değerlendiriliyor; daha sonra "
              "yeniden deneyin.",
    },
    "moderation.status.interrupted": {
        "en": "The check of this image was interrupted; it will be checked again.",
        "tr": "Bu görselin denetimi yarıda kaldı; yeniden denetlenecek.",
    },
    "moderation.local.approved": {
        "en": "The image passed an on-device check; Vision will check it later.",
        "tr": "Görsel, sunucudaki yerel model denetiminden geçti; Vision daha sonra ayrıca "
              "denetleyecek.",
    },
    "moderation.local.rejected": {
        "en": "The image was held back by an on-device check; Vision will check it later.",
        "tr": "Görsel, sunucudaki yerel model denetimi tarafından geri tutuldu; Vision daha "
              "sonra denetleyecek.",
    },
    "moderation.local.needs_review": {
        "en": "The image was kept but the on-device check was unsure; it will be reviewed.",
        "tr": "Görsel tutuldu ancak yerel model denetimi emin olamadı; incelenecek.",
    },

    # -- the review queue (moderation/review.py, moderation/review_desk.py) -----------------
    "moderation.status.approved_by_person": {
        "en": "A moderator looked at the image and approved it.",
        "tr": "Bir moderatör görseli inceledi ve onayladı.",
    },
    "moderation.status.rejected_by_person": {
        "en": "A moderator looked at the image and rejected it.",
        "tr": "Bir moderatör görseli inceledi ve reddetti.",
    },
    "review.body": {
        "en": "Send an object such as {{\"cause\": \"quarantined\", \"limit\": 50}}, or "
              "nothing.",
        "tr": "{{\"cause\": \"quarantined\", \"limit\": 50}} gibi bir nesne gönderin ya da "
              "hiçbir şey göndermeyin.",
    },
    "review.state": {
        "en": "'state' must be one of: {states}.",
        "tr": "'state' şunlardan biri olmalıdır: {states}.",
    },
    "review.cause": {
        "en": "'cause' must be one of: {causes}.",
        "tr": "'cause' şunlardan biri olmalıdır: {causes}.",
    },
    "review.limit": {
        "en": "'limit' must be a whole number from 1 to {most}.",
        "tr": "'limit' 1 ile {most} arasında bir tam sayı olmalıdır.",
    },
    "review.after": {
        "en": "'after' must be the key of an image from the previous page.",
        "tr": "'after' önceki sayfadaki bir görselin anahtarı olmalıdır.",
    },
    "review.keys": {
        "en": "'keys' must be a list of 1 to {most} image keys from the review queue.",
        "tr": "'keys' inceleme kuyruğundan 1 ile {most} arasında görsel anahtarı içeren bir "
              "liste olmalıdır.",
    },
    "review.decisions": {
        "en": "'decisions' must be a list of 1 to {most} decisions such as "
              "{{\"key\": \"...\", \"revision\": 1, \"decision\": \"approve\"}}.",
        "tr": "'decisions' {{\"key\": \"...\", \"revision\": 1, \"decision\": \"approve\"}} "
              "gibi 1 ile {most} arasında karar içeren bir liste olmalıdır.",
    },
    "review.decision_key": {
        "en": "Each decision needs the 'key' of an image from the review queue.",
        "tr": "Her karar, inceleme kuyruğundaki bir görselin 'key' alanını içermelidir.",
    },
    "review.decision": {
        "en": "'decision' must be one of: {decisions}.",
        "tr": "'decision' şunlardan biri olmalıdır: {decisions}.",
    },
    "review.revision": {
        "en": "Each decision needs the 'revision' of the image as it was listed (a whole "
              "number from 1).",
        "tr": "Her karar, görselin listelendiği hâldeki 'revision' değerini (1'den başlayan "
              "bir tam sayı) içermelidir.",
    },
    "review.note": {
        "en": "'note' must be a text of at most {most} characters.",
        "tr": "'note' en fazla {most} karakterlik bir metin olmalıdır.",
    },
    "review.twice": {
        "en": "The image {key} is decided twice in one request; decide it once.",
        "tr": "{key} görseli aynı istekte iki kez karara bağlanıyor; bir kez karar verin.",
    },
    "review.held": {
        "en": "Another moderator is reviewing this image until {until}.",
        "tr": "Bu görseli {until} saatine kadar başka bir moderatör inceliyor.",
    },
    "review.missing": {
        "en": "This image is not in the review queue.",
        "tr": "Bu görsel inceleme kuyruğunda değil.",
    },
    "review.decided": {
        "en": "This image was decided already (by a moderator, or by a Vision re-check).",
        "tr": "Bu görsel için zaten karar verildi (bir moderatör ya da Vision yeniden "
              "denetimi tarafından).",
    },
    "review.stale": {
        "en": "The image changed since you listed it; reload the queue and decide again.",
        "tr": "Görsel, siz listeledikten sonra değişti; kuyruğu yenileyip yeniden karar "
              "verin.",
    },
    "review.gone": {
        "en": "The image is no longer in storage (deleted meanwhile); it left the queue.",
        "tr": "Görsel artık depoda değil (bu arada silindi); kuyruktan çıkarıldı.",
    },
    "review.approved": {
        "en": "Approved.",
        "tr": "Onaylandı.",
    },
    "review.restored": {
        "en": "Approved and put back at its original path.",
        "tr": "Onaylandı ve özgün yoluna geri kondu.",
    },
    "review.restore_skipped": {
        "en": "Approved; a newer upload holds its original path, so it stays in quarantine.",
        "tr": "Onaylandı; özgün yolunda daha yeni bir yükleme olduğu için karantinada kaldı.",
    },
    "review.rejected_deleted": {
        "en": "Rejected and deleted.",
        "tr": "Reddedildi ve silindi.",
    },
    "review.rejected_kept": {
        "en": "Rejected; kept in quarantine.",
        "tr": "Reddedildi; karantinada tutuluyor.",
    },
    "review.rejected_flagged": {
        "en": "Rejected; kept at its path, marked rejected.",
        "tr": "Reddedildi; yolunda, reddedildi olarak işaretli tutuluyor.",
    },
    "review.store_down": {
        "en": "The review could not be saved because the database is not reachable; nothing "
              "was changed for this image. Try again in a minute.",
        "tr": "Veritabanına ulaşılamadığı için inceleme kaydedilemedi; bu görselde hiçbir şey "
              "değişmedi. Bir dakika sonra yeniden deneyin.",
    },
    "review.storage_down": {
        "en": "Cloud Storage did not answer; the image is still yours to decide. Try again.",
        "tr": "Cloud Storage yanıt vermedi; görsel hâlâ sizin kararınızı bekliyor. Yeniden "
              "deneyin.",
    },
    "review.preview_key": {
        "en": "Name the image with ?key=<its key in the review queue>.",
        "tr": "Görseli ?key=<inceleme kuyruğundaki anahtarı> ile belirtin.",
    },
    "review.appeal_body": {
        "en": 'Send {{"path": "<the image\'s path>", "explanation": "<why it should be '
              'allowed>"}}.',
        "tr": '{{"path": "<görselin yolu>", "explanation": "<neden izin verilmesi '
              'gerektiği>"}} gönderin.',
    },
    "review.explanation": {
        "en": "'explanation' must be a text of 1 to {most} characters.",
        "tr": "'explanation' 1 ile {most} karakter arasında bir metin olmalıdır.",
    },
    "review.appeal.not_found": {
        "en": "You have no moderated image at this path.",
        "tr": "Bu yolda moderasyondan geçmiş bir görseliniz yok.",
    },
    "review.appeal.not_appealable": {
        "en": "Only an image that was rejected, quarantined or held for review can be "
              "appealed; this one is {status}.",
        "tr": "Yalnızca reddedilen, karantinaya alınan ya da inceleme için bekletilen bir "
              "görsele itiraz edilebilir; bu görselin durumu: {status}.",
    },
    "review.appeal.deleted": {
        "en": "This image was deleted when it was rejected; there is nothing left to review. "
              "Upload it again if you think it should be allowed.",
        "tr": "Bu görsel reddedildiğinde silindi; incelenecek bir şey kalmadı. İzin "
              "verilmesi gerektiğini düşünüyorsanız yeniden yükleyin.",
    },
    "review.appeal.already": {
        "en": "You appealed this image already; a moderator will look at it.",
        "tr": "Bu görsele zaten itiraz ettiniz; bir moderatör inceleyecek.",
    },
    "review.appeal.decided": {
        "en": "A moderator decided this image already; that decision is final.",
        "tr": "Bu görsel için bir moderatör zaten karar verdi; bu karar kesindir.",
    },
    "review.appeal.received": {
        "en": "Your appeal was received; a moderator will look at the image.",
        "tr": "İtirazınız alındı; görseli bir moderatör inceleyecek.",
    },

    # -- listings (paging.py, infra/firestore_listings.py) -----------------------------------
    "listing.page.not_an_object": {
        "en": 'Send an object such as {{"limit": 20}}, or nothing.',
        "tr": '{{"limit": 20}} gibi bir nesne gönderin ya da hiçbir şey göndermeyin.',
    },
    "listing.page.limit_range": {
        "en": "'limit' must be a whole number from 1 to {most}.",
        "tr": "'limit' 1 ile {most} arasında bir tam sayı olmalıdır.",
    },
    "listing.database_down": {
        "en": "The database is not reachable right now; try again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor; bir dakika sonra yeniden deneyin.",
    },
    "listing.below_minimum_flag": {
        "en": '"below_minimum" must be true or false.',
        "tr": '"below_minimum" true ya da false olmalı.',
    },
    # -- minimums, a unit's life, the inventory export -----------------------------------------
    "qr.minimum.body": {
        "en": 'Send {{"part_code": "...", "min_units": <a whole number, or null for none>}}.',
        "tr": '{{"part_code": "...", "min_units": <tam sayı ya da hiç olmayacaksa null>}} '
              'gönderin.',
    },
    "qr.minimum.not_whole": {
        "en": '"min_units" must be a whole number from 0 to {max_units}, or null to remove '
              'the minimum.',
        "tr": '"min_units" 0 ile {max_units} arasında bir tam sayı olmalı; asgariyi kaldırmak '
              'için null gönderin.',
    },
    "qr.minimum.out_of_range": {
        "en": '"min_units" must be from 0 to {max_units}, got {value}.',
        "tr": '"min_units" 0 ile {max_units} arasında olmalı; gönderilen: {value}.',
    },
    "qr.minimum.unknown_part": {
        "en": "There is no part {code}; nothing was changed.",
        "tr": "{code} kodlu bir parça yok; hiçbir şey değiştirilmedi.",
    },
    "qr.minimum.database_down": {
        "en": "The database is not reachable right now, so the minimum was not changed; "
              "try again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor, asgari adet değiştirilmedi; bir dakika "
              "sonra yeniden deneyin.",
    },
    "qr.unit.body": {
        "en": 'Send {{"qr_id": "..."}}.',
        "tr": '{{"qr_id": "..."}} gönderin.',
    },
    "qr.unit.database_down": {
        "en": "The database is not reachable right now, so the unit's history cannot be "
              "shown; try again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor, birimin geçmişi gösterilemiyor; bir dakika "
              "sonra yeniden deneyin.",
    },
    "qr.upload.minimum_rule_got": {
        "en": "the minimum must be empty or a whole number from 0 to {max_units}, got {value}",
        "tr": "asgari adet boş ya da 0 ile {max_units} arasında bir tam sayı olmalı; "
              "girilen: {value}",
    },
    "qr.upload.dry_run_flag": {
        "en": '"dry_run" must be true or false.',
        "tr": '"dry_run" true ya da false olmalı.',
    },
    "qr.export.format": {
        "en": '"format" must be xlsx or csv.',
        "tr": '"format" xlsx ya da csv olmalı.',
    },
    "qr.export.scope": {
        "en": '"scope" must be parts or units.',
        "tr": '"scope" parts ya da units olmalı.',
    },
    "qr.export.database_down": {
        "en": "The database is not reachable right now, so the export cannot be made; try "
              "again in a minute.",
        "tr": "Veritabanına şu anda ulaşılamıyor, dışa aktarma yapılamıyor; bir dakika sonra "
              "yeniden deneyin.",
    },
}
