/* SPDX-License-Identifier: MIT */
/*
 * banned: calls that are easy to misuse become compile errors. Include it last
 * in every .c file. Use snprintf, strbuf, the checked parsers in money.h and
 * date.h, and date_from_civil/date_to_civil instead.
 */
#ifndef SD_BASE_BANNED_H
#define SD_BASE_BANNED_H

#define SD_BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) SD_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SD_BANNED(strcat)
#undef sprintf
#define sprintf(...) SD_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SD_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SD_BANNED(strtok)
#undef gets
#define gets(x) SD_BANNED(gets)
#undef atoi
#define atoi(x) SD_BANNED(atoi)
#undef atol
#define atol(x) SD_BANNED(atol)
#undef gmtime
#define gmtime(x) SD_BANNED(gmtime)
#undef localtime
#define localtime(x) SD_BANNED(localtime)
#undef ctime
#define ctime(x) SD_BANNED(ctime)

#endif
