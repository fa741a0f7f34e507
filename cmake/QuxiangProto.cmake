# Protobuf and gRPC code generation.
#
# The googleapis protos (google/api/*.proto, google/rpc/*.proto) come from Debian's
# golang-github-gogo-googleapis-dev package (the grpc-gateway package has a googleapis copy too old to have ErrorInfo) and grpc/health/v1/health.proto from
# grpc-proto, so that nothing of googleapis is copied into this repository.

set(QUXIANG_GOOGLEAPIS_DIR
    /usr/share/gocode/src/github.com/gogo/googleapis
    CACHE PATH "Folder holding google/api/*.proto and google/rpc/*.proto")
set(QUXIANG_GRPC_PROTO_DIR /usr/share/grpc-proto CACHE PATH "Folder holding grpc/health/v1/health.proto")
foreach(required google/api/annotations.proto google/rpc/status.proto)
  if(NOT EXISTS ${QUXIANG_GOOGLEAPIS_DIR}/${required})
    message(FATAL_ERROR "${required} not found under ${QUXIANG_GOOGLEAPIS_DIR}; "
                        "install golang-github-gogo-googleapis-dev (scripts/setup does)")
  endif()
endforeach()

set(QUXIANG_PROTO_GEN_DIR ${PROJECT_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${QUXIANG_PROTO_GEN_DIR})

# quxiang_proto_library(NAME ROOT dir PROTOS rel/a.proto ... [GRPC rel/b.proto ...])
# Generates message code for PROTOS and, for those also named in GRPC, service stubs.
function(quxiang_proto_library name)
  cmake_parse_arguments(ARG "" "ROOT" "PROTOS;GRPC" ${ARGN})
  set(sources)
  foreach(rel ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(outputs ${QUXIANG_PROTO_GEN_DIR}/${stem}.pb.cc ${QUXIANG_PROTO_GEN_DIR}/${stem}.pb.h)
    set(plugin_args)
    list(FIND ARG_GRPC ${rel} is_service)
    if(NOT is_service EQUAL -1)
      list(APPEND outputs ${QUXIANG_PROTO_GEN_DIR}/${stem}.grpc.pb.cc ${QUXIANG_PROTO_GEN_DIR}/${stem}.grpc.pb.h)
      set(plugin_args --grpc_out=${QUXIANG_PROTO_GEN_DIR} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
        -I ${PROJECT_SOURCE_DIR}/protos -I ${QUXIANG_GOOGLEAPIS_DIR} -I ${QUXIANG_GRPC_PROTO_DIR}
        --cpp_out=${QUXIANG_PROTO_GEN_DIR} ${plugin_args}
        ${ARG_ROOT}/${rel}
      DEPENDS ${ARG_ROOT}/${rel} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND sources ${outputs})
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} SYSTEM PUBLIC ${QUXIANG_PROTO_GEN_DIR})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
endfunction()
