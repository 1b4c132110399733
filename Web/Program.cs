using SecondServer.Web;
using SecondServer.Web.Commands;

return args switch
{
    ["migrate", .. var rest] => await MigrateCommand.RunAsync(rest),
    ["doctor", .. var rest] => await DoctorCommand.RunAsync(rest),
    ["record-deploy", .. var rest] => await RecordDeployCommand.RunAsync(rest),
    _ => await WebApp.Build(args).RunServiceAsync(),
};
