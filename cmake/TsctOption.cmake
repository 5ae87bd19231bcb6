# TsctOption.cmake - AUTO | ON | OFF options for optional parts, and the feature summary.
#
# tsct_option(NAME DOC [DEFAULT]) declares cache variable TSCT_WITH_<NAME> (default AUTO, or
# DEFAULT: MPI is OFF unless asked for, so that the default build stays one process).
# tsct_option_resolve(NAME FOUND_VAR DETAIL) sets TSCT_HAVE_<NAME> from what was found, fails
# the configuration when the option is ON and the part is missing, and records a line for
# tsct_feature_summary().

set(TSCT_FEATURE_LINES "" CACHE INTERNAL "")

macro(tsct_option name doc)
  set(_tsct_default "AUTO")
  if(${ARGC} GREATER 2)
    set(_tsct_default "${ARGV2}")
  endif()
  set(TSCT_WITH_${name} "${_tsct_default}" CACHE STRING "${doc} (AUTO, ON, OFF)")
  set_property(CACHE TSCT_WITH_${name} PROPERTY STRINGS AUTO ON OFF)
  if(NOT TSCT_WITH_${name} MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "TSCT_WITH_${name}=${TSCT_WITH_${name}}: expected AUTO, ON or OFF")
  endif()
endmacro()

macro(tsct_option_resolve name found_var detail)
  if(TSCT_WITH_${name} STREQUAL "OFF")
    set(TSCT_HAVE_${name} 0)
    set(_tsct_line "${name}: off (TSCT_WITH_${name}=OFF)")
  elseif(${found_var})
    set(TSCT_HAVE_${name} 1)
    set(_tsct_line "${name}: yes (${detail})")
  elseif(TSCT_WITH_${name} STREQUAL "ON")
    message(FATAL_ERROR "TSCT_WITH_${name}=ON but ${name} was not found")
  else()
    set(TSCT_HAVE_${name} 0)
    set(_tsct_line "${name}: no (not found)")
  endif()
  set(TSCT_FEATURE_LINES "${TSCT_FEATURE_LINES};${_tsct_line}" CACHE INTERNAL "")
endmacro()

function(tsct_feature_summary)
  message(STATUS "")
  message(STATUS "tsct ${PROJECT_VERSION} feature summary")
  message(STATUS "  HDF5: ${HDF5_VERSION} (plugins: ${TSCT_HDF5_PLUGIN_DIR})")
  message(STATUS "  FFTW: ${FFTW3_fftw3_VERSION} (double and float)")
  foreach(line ${TSCT_FEATURE_LINES})
    if(line)
      message(STATUS "  ${line}")
    endif()
  endforeach()
  message(STATUS "  sanitizers: ${TSCT_SANITIZE}   warnings as errors: ${TSCT_WERROR}")
  message(STATUS "")
  set(TSCT_FEATURE_LINES "" CACHE INTERNAL "")
endfunction()
