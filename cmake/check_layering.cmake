# Run as a test (cmake -DSOURCE_DIR=... -P): the include direction inside daemon/
# (docs/architecture.md, "The direction rule"). A wing may include its own folder,
# daemon/host/, handlers/ and config/; host/ only itself, handlers/ and config/. Only the
# root of daemon/ (the wiring) includes the wings. Prints every include that runs the
# wrong way and fails if there is one.
set(wings ingest durability serve demo)
set(violations "")
foreach(folder IN ITEMS host ${wings})
  file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}
       ${SOURCE_DIR}/daemon/${folder}/*.h ${SOURCE_DIR}/daemon/${folder}/*.cc
       ${SOURCE_DIR}/daemon/${folder}/*.in)
  foreach(source IN LISTS sources)
    file(STRINGS ${SOURCE_DIR}/${source} includes REGEX "^#include \"daemon/")
    foreach(line IN LISTS includes)
      string(REGEX MATCH "\"daemon/([^\"]*)\"" _ "${line}")
      set(target "${CMAKE_MATCH_1}")
      if(target MATCHES "^${folder}/" OR target MATCHES "^host/")
        continue()
      endif()
      list(APPEND violations "${source}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n  " lines)
  message(FATAL_ERROR "includes that run the wrong way in daemon/ (a wing includes only "
                      "itself and daemon/host/; host/ only itself):\n  ${lines}")
endif()
message(STATUS "daemon/ layering: every include runs the right way")
