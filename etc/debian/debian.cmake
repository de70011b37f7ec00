# The Debian package (`./dev.sh package`, or `cpack -G DEB` in a build directory after
# `ninja dcgw`): /usr/bin/dcgw, /etc/dcgw/dcgw.json (a conffile), the systemd unit and the
# maintainer scripts of etc/debian/, Depends from dpkg-shlibdeps.
set(DCGW_DEB_DIR ${PROJECT_SOURCE_DIR}/etc/debian)
set(DCGW_PACKAGE_MAINTAINER "dcgw developers <dcgw@example.org>"
  CACHE STRING "The Maintainer of the Debian package (Name <address>)")
set(DCGW_DEB_RELEASE 1)
set(DCGW_DEB_VERSION ${PROJECT_VERSION}-${DCGW_DEB_RELEASE})

# Every directory the package makes is 0755 (lintian's non-standard-dir-perm otherwise).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(TARGETS dcgw RUNTIME DESTINATION bin)
install(FILES ${DCGW_DEB_DIR}/dcgw.json DESTINATION /etc/dcgw)
install(FILES ${DCGW_DEB_DIR}/dcgw.service DESTINATION /lib/systemd/system)
# Debian's changelog, gzipped without a time stamp (gzip -n) so the package is reproducible.
configure_file(${DCGW_DEB_DIR}/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog.Debian @ONLY)
execute_process(COMMAND gzip -9nc ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  OUTPUT_FILE ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${DCGW_DEB_DIR}/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
  DESTINATION share/doc/dcgw)
# `ninja install` and cpack install the one binary; dev.sh builds it first, not every test.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dcgw)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "${DCGW_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${DCGW_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${DCGW_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The maintainer scripts add and remove the system user.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "data forwarding gateway for tachograph and telematics fleets")
# CPack puts the summary first; this is the extended description under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Receives the binary data packets of vehicle trackers (tracking, vehicle CAN,
tachograph mode, driver decision support, clocking, sensors, odometer, alerts),
stores them durably in SQLite and forwards each to the third parties of the
tracker's location as REST JSON, SOAP 1.1, XML over TCP or UDP, or binary
frames, in order and with retries. Runs as the systemd service dcgw.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${DCGW_DEB_DIR}/conffiles ${DCGW_DEB_DIR}/postinst ${DCGW_DEB_DIR}/prerm ${DCGW_DEB_DIR}/postrm)
# Scripts 0755, the other control files 0644, whatever the checkout's modes are.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
