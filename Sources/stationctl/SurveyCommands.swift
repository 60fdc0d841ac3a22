import ArgumentParser
import ControlAPI
import Foundation
import Messages

struct SurveyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "survey", abstract: HelpText.text(.helpCtlSurvey),
        subcommands: [SurveyImport.self])
}

struct SurveyImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: HelpText.text(.helpCtlSurveyImport),
        discussion: """
            UTF-8 (with or without BOM), header exactly
            commune_code,commune_name,as_of,citizens_14_plus,level1_activated,level1_pending,level2_activated,\
            level2_pending
            one row per commune; as_of is YYYY-MM-DD. The communes named are registered. A file with any problem is
            refused whole, each problem given by line and column; nothing is imported.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The CSV file.") var file: String

    func run() throws {
        let response = try options.postCSVFile(file, to: ControlPaths.survey)
        if options.json { return options.printBody(response) }
        let outcome = try response.decode(SurveyImportWire.self)
        printLine(
            options.say(
                .ctlSurveyImported,
                [
                    "communes": "\(outcome.communes)", "new": "\(outcome.newCommunes)",
                    "replaced": "\(outcome.replaced)",
                ]))
    }
}
