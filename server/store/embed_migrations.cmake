# Writes a C++ file defining lift::store::EmbeddedMigrations() from migrations/NNNN_name.{up,down}.sql.
# Usage: cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P embed_migrations.cmake
file(GLOB up_files "${MIGRATIONS_DIR}/*.up.sql")
list(SORT up_files)
set(body "")
foreach(up ${up_files})
  get_filename_component(file_name ${up} NAME)
  if(NOT file_name MATCHES "^([0-9]+)_([a-z0-9_]+)\\.up\\.sql$")
    message(FATAL_ERROR "migration file '${file_name}' must be named NNNN_name.up.sql")
  endif()
  set(version ${CMAKE_MATCH_1})
  set(name ${CMAKE_MATCH_2})
  string(REGEX REPLACE "^0+([0-9])" "\\1" version_number "${version}")
  set(down "${MIGRATIONS_DIR}/${version}_${name}.down.sql")
  if(NOT EXISTS ${down})
    message(FATAL_ERROR "migration ${file_name} has no ${version}_${name}.down.sql")
  endif()
  file(READ ${up} up_sql)
  file(READ ${down} down_sql)
  string(APPEND body "      {${version_number}, \"${name}\", R\"lift_sql(${up_sql})lift_sql\", R\"lift_sql(${down_sql})lift_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from migrations/ by server/store/embed_migrations.cmake. Do not edit.
#include \"server/store/migrations.h\"

namespace lift::store {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> kMigrations = {
${body}  };
  return kMigrations;
}

}  // namespace lift::store
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
