# cmake --install: the ser program, the static libraries, their headers under
# include/<folder>/, and a CMake package (lib/cmake/ser) so that a program
# outside the tree can find_package(ser) and link ser::experiments.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ser_exported common:ser_common dsp:ser_dsp vision:ser_vision nn:ser_nn onnx:ser_onnx datasets:ser_datasets notebooks:ser_notebooks
  experiments_core:ser_experiments_core experiments:ser_experiments zoo:ser_zoo)
set(ser_targets "")
foreach(pair IN LISTS ser_exported)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 name)
  list(GET pair 1 target)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  list(APPEND ser_targets ${target})
endforeach()

install(TARGETS ser ${ser_targets} EXPORT serTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(folder common dsp vision nn datasets notebooks_export experiments zoo)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${folder}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ser/configs)

set(ser_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ser)
install(EXPORT serTargets NAMESPACE ser:: DESTINATION ${ser_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/serConfig.cmake.in
  ${PROJECT_BINARY_DIR}/serConfig.cmake INSTALL_DESTINATION ${ser_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/serConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/serConfig.cmake ${PROJECT_BINARY_DIR}/serConfigVersion.cmake
  DESTINATION ${ser_cmake_dir})
