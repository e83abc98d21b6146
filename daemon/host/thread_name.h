// Names the calling thread, so that `top -H`, `ps -L` and perf show which of handoffd's
// threads is busy. Linux keeps 15 characters; longer names are cut.
#pragma once

#include <pthread.h>

#include <string>

namespace handoff {

inline void NameThisThread(const char* name) {
  pthread_setname_np(pthread_self(), std::string(name).substr(0, 15).c_str());
}

}  // namespace handoff
