using SecondServer.Web;

return await WebApp.Build(args).RunServiceAsync();
