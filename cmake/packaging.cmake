# Debian package for handoffd: `cpack -G DEB` in the build directory (after building
# the handoffd target) writes handoffd_<version>_<arch>.deb. Included from the top-level
# CMakeLists.txt. Contents:
#   /usr/bin/handoffd                          (install(TARGETS handoffd) in daemon/)
#   /lib/systemd/system/handoffd.service       (deploy/systemd/)
#   /etc/handoffd/handoffd.yaml                (config/examples/orders.yaml; a conffile)
#   /usr/share/doc/handoffd/operations.md      (the runbook)
# and maintainer scripts (deploy/debian/) that create the `handoffd` system user and
# /var/lib/handoffd. Shared-library dependencies come from dpkg-shlibdeps.

set(HANDOFF_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/../deploy)
get_filename_component(HANDOFF_DEB_DIR ${HANDOFF_DEB_DIR} ABSOLUTE)
get_filename_component(HANDOFF_REPO_DIR ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)

# Debian policy paths, whatever CMAKE_INSTALL_PREFIX is for `cmake --install`.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR OFF)

# The unit and /etc config have absolute paths: they go in a component that only the
# package installs, so `cmake --install build --prefix ~/.local` never writes to /etc.
install(FILES ${HANDOFF_DEB_DIR}/systemd/handoffd.service
  DESTINATION /lib/systemd/system COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${HANDOFF_REPO_DIR}/config/examples/orders.yaml
  DESTINATION /etc/handoffd RENAME handoffd.yaml
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT deb EXCLUDE_FROM_ALL)
if(EXISTS ${HANDOFF_REPO_DIR}/docs/operations.md)
  install(FILES ${HANDOFF_REPO_DIR}/docs/operations.md
    DESTINATION share/doc/handoffd COMPONENT deb EXCLUDE_FROM_ALL)
endif()
# One package holding both the default component (the binary) and `deb`: a
# component-wise install (which includes EXCLUDE_FROM_ALL files), grouped into one .deb.
set(CPACK_COMPONENTS_ALL Unspecified deb)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME handoffd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "handoff")
set(CPACK_PACKAGE_CONTACT "handoff maintainers <handoff@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "SLA timers for handoffs between departments, from Kafka events to Prometheus")
set(CPACK_PACKAGE_DESCRIPTION
  "handoffd consumes order and handoff events from Kafka, keeps one SLA timer per\n\
order and SLA, decides met or breached for every handoff between departments and\n\
exports the results as Prometheus metrics. Runs under systemd (handoffd.service).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.com/handoff")

# Shared libraries (librdkafka1, libyaml-cpp0.7, libsimdjson14, libdate-tz3,
# libprometheus-cpp-core1.0, libboost-system1.74.0, libsystemd0, libssl3, libjemalloc2,
# ...) as dpkg-shlibdeps finds them in the binary; tzdata (calendars load zones at run
# time) and adduser (postinst) by name.
find_program(HANDOFF_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(HANDOFF_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, adduser")
else()
  message(WARNING "dpkg-shlibdeps not found: listing the Debian 12 runtime libraries by hand")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, adduser, librdkafka1 (>= 2.0), libyaml-cpp0.7, \
libsimdjson14, libdate-tz3, libprometheus-cpp-core1.0, libboost-system1.74.0, libsystemd0, \
libssl3, libjemalloc2, zlib1g, libcrypt1, libstdc++6, libc6")
endif()

# Maintainer scripts, and the config as a conffile (kept and never overwritten
# silently on upgrade).
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/handoffd/handoffd.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${HANDOFF_DEB_DIR}/debian/postinst
  ${HANDOFF_DEB_DIR}/debian/prerm
  ${HANDOFF_DEB_DIR}/debian/postrm
  ${CMAKE_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debug info stays in the build tree; the package carries a stripped binary.
set(CPACK_STRIP_FILES ON)

include(CPack)
