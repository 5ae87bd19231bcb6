/* cmd_help.c - `tsct help [COMMAND]`: the list of commands, or the usage of one. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char tsct_usage_help[] =
    "usage: tsct help [COMMAND]\n"
    "\n"
    "List the commands, or show the help of one (the same as 'tsct COMMAND --help').\n";

void tsct_cli_print_help(FILE *out)
{
    fputs(tsct_cli_global_help, out);
    for (const tsct_cli_command *c = tsct_cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'tsct COMMAND --help' for the options of a command.\n", out);
}

const tsct_cli_command *tsct_cli_find_command(const char *name)
{
    for (const tsct_cli_command *c = tsct_cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int tsct_cmd_help(tsct_cli *cli, int argc, char **argv)
{
    if (argc > 2)
        return tsct_cli_usage_error(cli, "one command at a time");
    if (argc < 2) {
        tsct_cli_print_help(stdout);
        return TSCT_EXIT_OK;
    }
    const tsct_cli_command *c = tsct_cli_find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "tsct help: unknown command '%s'\n", argv[1]);
        return TSCT_EXIT_USAGE;
    }
    fputs(c->usage, stdout);
    return TSCT_EXIT_OK;
}
