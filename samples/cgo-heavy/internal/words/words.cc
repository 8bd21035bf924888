#include <sstream>
#include <string>
#include "words.h"

extern "C" int words_count(const char *s) {
	std::istringstream in{std::string(s)};
	std::string word;
	int n = 0;
	while (in >> word) {
		n++;
	}
	return n;
}
