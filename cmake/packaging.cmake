# Debian package for handoffd: `cpack -G DEB` in the build directory (after building
# the handoffd target) writes handoffd_<version>_<arch>.deb. Included from the top-level
# CMakeLists.txt. Contents:
#   /usr/bin/handoffd                          (install(TARGETS handoffd) in daemon/)
#   /lib/systemd/system/handoffd.service       (deploy/systemd/)
#   /etc/handoffd/handoffd.yaml                (config/examples/orders.yaml; a conffile)
#   /usr/share/doc/handoffd/operations.md      (the runbook)
#   /usr/share/doc/handoffd/copyright, changelog.Debian.gz   (deploy/debian/)
#   /usr/share/man/man1/handoffd.1.gz          (generated from `handoffd --help`)
# and maintainer scripts (deploy/debian/) that create the `handoffd` system user and
# /var/lib/handoffd. Shared-library dependencies come from dpkg-shlibdeps. CI runs
# lintian on the package (.ci/run, deploy/check): no errors, no warnings.

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
# 0644 in the package (what lintian expects of /etc); postinst makes it root:handoffd
# 0640 since it may hold Kafka credentials.
install(FILES ${HANDOFF_REPO_DIR}/config/examples/orders.yaml
  DESTINATION /etc/handoffd RENAME handoffd.yaml COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${HANDOFF_REPO_DIR}/docs/operations.md ${HANDOFF_DEB_DIR}/debian/copyright
  DESTINATION share/doc/handoffd COMPONENT deb EXCLUDE_FROM_ALL)
# One override, with its reason in the file: the package is not uploaded to Debian, so
# its first changelog entry has no ITP bug to close.
install(FILES ${HANDOFF_DEB_DIR}/debian/lintian-overrides
  DESTINATION share/lintian/overrides RENAME handoffd COMPONENT deb EXCLUDE_FROM_ALL)

# The Debian revision: the package is 0.1.0-1, and deploy/debian/changelog's latest
# entry must say so.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
file(STRINGS ${HANDOFF_DEB_DIR}/debian/changelog HANDOFF_CHANGELOG_TOP LIMIT_COUNT 1)
if(NOT HANDOFF_CHANGELOG_TOP MATCHES "^handoffd \\(${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}\\) ")
  message(FATAL_ERROR "deploy/debian/changelog: the latest entry is not "
    "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}: ${HANDOFF_CHANGELOG_TOP}")
endif()
set(HANDOFF_PACKAGING_DIR ${CMAKE_BINARY_DIR}/packaging)
add_custom_command(OUTPUT ${HANDOFF_PACKAGING_DIR}/changelog.Debian.gz
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" gzip ${HANDOFF_DEB_DIR}/debian/changelog
          ${HANDOFF_PACKAGING_DIR}/changelog.Debian.gz
  DEPENDS ${HANDOFF_DEB_DIR}/debian/changelog VERBATIM)
# The manual page, from the built binary's own help. Not in sanitizer or fuzzer builds,
# which are never packaged (and whose binaries may not run at build time).
if(NOT HANDOFF_SANITIZE AND NOT HANDOFF_FUZZ)
  add_custom_command(OUTPUT ${HANDOFF_PACKAGING_DIR}/handoffd.1.gz
    COMMAND ${HANDOFF_DEB_DIR}/debian/make-manpage $<TARGET_FILE:handoffd> ${PROJECT_VERSION}
            ${HANDOFF_PACKAGING_DIR}/handoffd.1.gz
    DEPENDS handoffd ${HANDOFF_DEB_DIR}/debian/make-manpage
    COMMENT "handoffd.1.gz from handoffd --help" VERBATIM)
  # Bash completion, from the built binary's own CLI (`handoffd completion bash`).
  add_custom_command(OUTPUT ${HANDOFF_PACKAGING_DIR}/handoffd.bash-completion
    COMMAND sh -c "\"$1\" completion bash > \"$2\"" completion $<TARGET_FILE:handoffd>
            ${HANDOFF_PACKAGING_DIR}/handoffd.bash-completion
    DEPENDS handoffd COMMENT "bash completion from handoffd completion bash" VERBATIM)
  add_custom_target(handoffd_package_docs ALL DEPENDS
    ${HANDOFF_PACKAGING_DIR}/changelog.Debian.gz ${HANDOFF_PACKAGING_DIR}/handoffd.1.gz
    ${HANDOFF_PACKAGING_DIR}/handoffd.bash-completion)
  install(FILES ${HANDOFF_PACKAGING_DIR}/handoffd.bash-completion
    DESTINATION share/bash-completion/completions RENAME handoffd COMPONENT deb EXCLUDE_FROM_ALL)
  install(FILES ${HANDOFF_PACKAGING_DIR}/changelog.Debian.gz
    DESTINATION share/doc/handoffd COMPONENT deb EXCLUDE_FROM_ALL)
  install(FILES ${HANDOFF_PACKAGING_DIR}/handoffd.1.gz
    DESTINATION share/man/man1 COMPONENT deb EXCLUDE_FROM_ALL)
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
  "handoffd consumes order and handoff events from Kafka, keeps one SLA\n\
timer per order and SLA, decides met or breached for every handoff\n\
between departments and exports the results as Prometheus metrics.\n\
Runs under systemd (handoffd.service).")
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
file(MAKE_DIRECTORY ${HANDOFF_PACKAGING_DIR})
file(WRITE ${HANDOFF_PACKAGING_DIR}/conffiles "/etc/handoffd/handoffd.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${HANDOFF_DEB_DIR}/debian/postinst
  ${HANDOFF_DEB_DIR}/debian/prerm
  ${HANDOFF_DEB_DIR}/debian/postrm
  ${HANDOFF_PACKAGING_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debug info stays in the build tree; the package carries a stripped binary.
set(CPACK_STRIP_FILES ON)

include(CPack)
