using SecondServer.Web;
using SecondServer.Web.Commands;

return args switch
{
    ["migrate", .. var rest] => await MigrateCommand.RunAsync(rest),
    _ => await WebApp.Build(args).RunServiceAsync(),
};
