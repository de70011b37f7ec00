# Fails when a source outside a store backend includes a database client's header: sqlite3.h
# belongs to gateway/store/sqlite/ alone (and libpq-fe.h to gateway/store/postgres/).
file(GLOB_RECURSE sources
  ${SOURCE_DIR}/gateway/*.cpp ${SOURCE_DIR}/gateway/*.hpp
  ${SOURCE_DIR}/adapters/*.cpp ${SOURCE_DIR}/adapters/*.hpp
  ${SOURCE_DIR}/codecs/*.cpp ${SOURCE_DIR}/codecs/*.hpp)
set(offenders "")
foreach(f ${sources})
  file(READ "${f}" text)
  if(f MATCHES "/gateway/store/sqlite/")
    continue()
  endif()
  if(text MATCHES "#include[ \t]*[<\"]sqlite3\\.h[>\"]")
    list(APPEND offenders "${f} includes sqlite3.h")
  endif()
  # The backend's own header that wraps it reaches it too.
  if(text MATCHES "#include[ \t]*\"gateway/store/sqlite/db\\.hpp\"")
    list(APPEND offenders "${f} includes gateway/store/sqlite/db.hpp (and so sqlite3.h)")
  endif()
  if(NOT f MATCHES "/gateway/store/postgres/" AND text MATCHES "#include[ \t]*[<\"]libpq-fe\\.h[>\"]")
    list(APPEND offenders "${f} includes libpq-fe.h")
  endif()
  if(NOT f MATCHES "/gateway/store/postgres/"
     AND text MATCHES "#include[ \t]*\"gateway/store/postgres/pg\\.hpp\"")
    list(APPEND offenders "${f} includes gateway/store/postgres/pg.hpp (and so libpq-fe.h)")
  endif()
endforeach()
list(LENGTH sources n)
if(offenders)
  string(REPLACE ";" "\n  " offenders "${offenders}")
  message(FATAL_ERROR "database headers outside their backend:\n  ${offenders}")
endif()
message(STATUS "${n} sources checked: no database header outside its store backend")
