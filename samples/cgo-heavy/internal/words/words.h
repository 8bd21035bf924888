#ifdef __cplusplus
extern "C" {
#endif
int words_count(const char *s);
#ifdef __cplusplus
}
#endif
