# cmake --install into a fresh prefix, build tests/install_consumer against it
# with find_package(ser), then check that its predict_emotion gives what the
# installed `ser predict` gives for a model the installed `ser train` made.
# The consumer is compiled by the compiler that built ser (CXX): a sanitized
# build's libraries need their own compiler's sanitizer runtimes.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK=... -DDATA=... -DCXX=... -P tests/check_install.cmake
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/ser include/experiments/predict.hpp lib/cmake/ser/serConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install lacks ${f}")
  endif()
endforeach()
run("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install_consumer -B ${WORK}/consumer
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX})
run("building the consumer" ${CMAKE_COMMAND} --build ${WORK}/consumer)

if(NOT "$ENV{SER_DATA}" STREQUAL "")  # the one data setting the tests read
  set(DATA $ENV{SER_DATA})
endif()
set(audio ${DATA}/tess/YAF_sad/YAF_bone_sad.flac)
if(NOT EXISTS ${audio})
  # Built and linked against the installed tree; a model needs the shared data.
  message(STATUS "installed, consumer built; SKIPPED predicting: no data at ${DATA} (set SER_DATA)")
  return()
endif()
file(WRITE ${WORK}/small.yaml "name: small\nseed: 5\nthreads: 1\ndata: {corpus: tess, root: ${DATA}/tess}\n"
  "features: {kind: mfcc, sample_rate: 22050, n_mfcc: 20, layout: pooled}\n"
  "model:\n  layers:\n    - {type: dense, units: 32, activation: relu}\n    - {type: dense, units: 7}\n"
  "training: {epochs: 2}\n")
run("installed ser train" ${prefix}/bin/ser train ${WORK}/small.yaml --out ${WORK}/run --cache ${WORK}/cache)
run("installed ser predict" ${prefix}/bin/ser predict ${audio} --model ${WORK}/run)
set(expected "${out}")
run("the consumer" ${WORK}/consumer/predict_one ${WORK}/run ${audio})
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "the consumer's predict_emotion says\n  ${out}\nwhere ser predict says\n  ${expected}")
endif()
message(STATUS "consumer agrees with ser predict: ${out}")
# The Python module, from the prefix alone: Debian's python3 imports it and predicts as ser does.
file(GLOB module ${prefix}/lib*/python3/dist-packages/ser*.so)
if(module)
  get_filename_component(site ${module} DIRECTORY)
  run("import ser from the install" ${CMAKE_COMMAND} -E env PYTHONPATH=${site} /usr/bin/python3 -c
      "import ser\np = ser.predict('${audio}', '${WORK}/run')[0]\nprint(p['emotion'], p['probability'])")  # no ';': CMake splits lists there
  string(REGEX MATCH "^[A-Za-z_]+" py_emotion "${out}")
  string(REGEX MATCH ": ([A-Za-z_]+)" cli_emotion "${expected}")
  if(NOT "${CMAKE_MATCH_1}" STREQUAL "${py_emotion}")
    message(FATAL_ERROR "the installed module predicts '${out}' where ser predict says '${expected}'")
  endif()
  message(STATUS "installed module agrees: ${out}")
endif()
file(REMOVE_RECURSE ${WORK})
