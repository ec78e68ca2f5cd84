// The char file streams that libc++ declares as extern templates and, built
// without filesystem support, does not hold (see include/fstream).
#include <fstream>

#if WASIBUILD_FSTREAM_UNLOCKED
template class std::basic_filebuf<char>;
template class std::basic_ifstream<char>;
template class std::basic_ofstream<char>;
template class std::basic_fstream<char>;
#endif
