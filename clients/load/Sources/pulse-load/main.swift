import PulseLoad

#if canImport(Glibc)
    import Glibc
#endif

exit(await PulseLoadCommand.run(Array(CommandLine.arguments.dropFirst())))
